//! The catalogue: every sentence a student or a teacher reads, from one Fluent file per
//! language (`src/texts/*.ftl`, embedded in the binary). The chat core and moderation speak
//! in typed outcomes (`crate::vocabulary`); this module alone turns them into words. Logs,
//! audit and fail2ban lines are for administrators and never come from here.

use std::time::Duration;

use classcord_protocol::{Expected, LineProblem, Role, RoomMode, UsageProblem, COMMANDS};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::config::Language;
use crate::vocabulary::{
    Answer, Banner, ChannelNameProblem, NameKind, NameProblem, NobodyIs, Notice, OnlineUser,
    PasswordProblem, Refused, Remaining, Reopening, ReopeningDay, ReportListing, RoomListing,
    RoomMembers, StateProblem,
};

/// Every language of the catalogue, with its file.
const LANGUAGES: &[(Language, &str, &str)] = &[
    (Language::Fr, "fr", include_str!("fr.ftl")),
    (Language::En, "en", include_str!("en.ftl")),
];

fn catalogue(language: Language) -> (&'static str, &'static str) {
    LANGUAGES
        .iter()
        .find(|(l, _, _)| *l == language)
        .map(|(_, tag, source)| (*tag, *source))
        .expect("every language has a file")
}

/// The words of the administrator's tools (the command line, the admin socket): English,
/// whatever language the server speaks to its users.
pub(crate) fn admin_texts() -> Texts {
    Texts::new(Language::En)
}

/// Names listed per line of `/room members` (the rest are counted).
const MEMBERS_LISTED: usize = 100;

/// Characters of a reported message shown to the teachers (the rest is cut with "…"; the
/// whole text is in the stored report).
const EXCERPT_CHARS: usize = 200;

/// A message's text cut to [`EXCERPT_CHARS`], on one line.
fn excerpt_of(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// One language's sentences.
pub(crate) struct Texts {
    bundle: FluentBundle<FluentResource>,
}

type Args<'a> = &'a [(&'static str, FluentValue<'a>)];

impl Texts {
    pub(crate) fn new(language: Language) -> Texts {
        let (tag, source) = catalogue(language);
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{tag} catalogue: {errors:?}"));
        let tag = tag.parse().expect("a valid language tag");
        let mut bundle = FluentBundle::new_concurrent(vec![tag]);
        // Java clients read Windows-1252: no Unicode isolation marks around placeholders.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .expect("message ids are unique");
        Texts { bundle }
    }

    /// The sentence `id` with its placeholders filled.
    fn say(&self, id: &str, args: Args<'_>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::error!(id, "missing text in the catalogue");
            debug_assert!(false, "missing text {id}");
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(id, ?errors, "text with a missing placeholder");
        }
        debug_assert!(errors.is_empty(), "{id}: {errors:?}");
        text.into_owned()
    }

    /// A duration as people read it: one unit in words ("5 minutes", "2 heures"), several
    /// in short ("1 h 30 min", "9 min 58 s"), from days down to seconds.
    fn duration(&self, duration: Duration) -> String {
        const UNITS: [(&str, u64); 4] = [
            ("days", 86_400),
            ("hours", 3600),
            ("minutes", 60),
            ("seconds", 1),
        ];
        let mut left = duration.as_secs();
        let mut parts = Vec::new();
        for (unit, seconds) in UNITS {
            if left >= seconds {
                parts.push((unit, left / seconds));
                left %= seconds;
            }
        }
        let n = |n: u64| [("n", FluentValue::from(n))];
        match parts.as_slice() {
            [] => self.say("duration-only-seconds", &n(0)),
            [(unit, count)] => self.say(&format!("duration-only-{unit}"), &n(*count)),
            _ => parts
                .iter()
                .map(|(unit, count)| self.say(&format!("duration-part-{unit}"), &n(*count)))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// What is wrong with a line the server could not read.
    fn line_problem(&self, problem: &LineProblem) -> String {
        let s = |value: &str| FluentValue::from(value.to_owned());
        let expected = |expected: &Expected| {
            FluentValue::from(self.say(
                match expected {
                    Expected::String => "expected-string",
                    Expected::Bool => "expected-bool",
                    Expected::Integer => "expected-integer",
                },
                &[],
            ))
        };
        match problem {
            LineProblem::NulByte => self.say("refused-nul-byte", &[]),
            LineProblem::InvalidJson { line, column } => self.say(
                "line-invalid-json",
                &[
                    ("line", FluentValue::from(*line)),
                    ("column", FluentValue::from(*column)),
                ],
            ),
            LineProblem::NestingTooDeep => self.say("line-nesting-too-deep", &[]),
            LineProblem::NotAnObject => self.say("line-not-an-object", &[]),
            LineProblem::MissingType => self.say("line-missing-type", &[]),
            LineProblem::TypeNotString => self.say("line-type-not-string", &[]),
            LineProblem::UnknownType { kind } => {
                self.say("line-unknown-type", &[("kind", s(kind))])
            }
            LineProblem::InvalidCommand { detail } => {
                self.say("line-invalid-command", &[("detail", s(detail))])
            }
            LineProblem::PrivateNeedsTo => self.say("line-private-needs-to", &[]),
            LineProblem::UnknownSubtype { subtype } => {
                self.say("line-unknown-subtype", &[("subtype", s(subtype))])
            }
            LineProblem::MissingField {
                kind,
                field,
                expected: what,
            } => self.say(
                "line-missing-field",
                &[
                    ("kind", s(kind)),
                    ("field", s(field)),
                    ("expected", expected(what)),
                ],
            ),
            LineProblem::WrongType {
                kind,
                field,
                expected: what,
            } => self.say(
                "line-wrong-type",
                &[
                    ("kind", s(kind)),
                    ("field", s(field)),
                    ("expected", expected(what)),
                ],
            ),
        }
    }

    /// What is wrong with a command's arguments; `text` is the piece written, when the
    /// problem is about it.
    pub(crate) fn usage_problem(&self, problem: UsageProblem, text: Option<&str>) -> String {
        let id = match problem {
            UsageProblem::MissingName => "usage-missing-name",
            UsageProblem::MissingRoom => "usage-missing-room",
            UsageProblem::MissingText => "usage-missing-text",
            UsageProblem::MissingSeconds => "usage-missing-seconds",
            UsageProblem::MissingMessage => "usage-missing-message",
            UsageProblem::NotADuration => "usage-not-a-duration",
            UsageProblem::ZeroDuration => "usage-zero-duration",
            UsageProblem::DurationTooLong { max } => {
                return self.say(
                    "usage-duration-too-long",
                    &[("max", FluentValue::from(self.duration(max)))],
                )
            }
            UsageProblem::CountdownTooLong => "usage-countdown-too-long",
            UsageProblem::OnlyDurationAfterName => "usage-only-duration-after-name",
            UsageProblem::OnlyName => "usage-only-name",
            UsageProblem::OnlyNameAndRoom => "usage-only-name-and-room",
            UsageProblem::BadMode => "usage-bad-mode",
            UsageProblem::NothingAfterMode => "usage-nothing-after-mode",
            UsageProblem::RoomSubcommand => "usage-room-subcommand",
            UsageProblem::MissingMessageId => "usage-missing-message-id",
            UsageProblem::MissingMessageOrName => "usage-missing-message-or-name",
            UsageProblem::BadCount { max } => {
                return self.say("usage-bad-count", &[("max", FluentValue::from(max))])
            }
        };
        let text = FluentValue::from(text.unwrap_or_default().to_owned());
        self.say(id, &[("text", text)])
    }

    fn role(&self, role: Role) -> String {
        self.say(&format!("role-{}", role.as_str()), &[])
    }

    fn mode(&self, mode: RoomMode) -> String {
        self.say(&format!("mode-{}", mode.as_str()), &[])
    }

    /// How `/help` and usage refusals write a command.
    pub(crate) fn usage(&self, word: &str) -> String {
        self.say(&format!("usage-{word}"), &[])
    }

    /// The command's word in this language, without its slash (`expulser` for `kick`): the
    /// first word of its usage.
    fn typed_word(&self, word: &str) -> String {
        let usage = self.usage(word);
        let first = usage.split_whitespace().next().unwrap_or_default();
        first
            .trim_start_matches('/')
            .trim_end_matches(',')
            .to_owned()
    }

    /// The words of a refusal.
    pub(crate) fn refused(&self, refused: &Refused) -> String {
        use Refused::*;
        let s = |value: &str| FluentValue::from(value.to_owned());
        let n = |value: usize| FluentValue::from(value);
        match refused {
            Malformed(problem) => self.line_problem(problem),
            LineTooLong { max_bytes } => {
                self.say("refused-line-too-long", &[("max", n(*max_bytes))])
            }
            NulByte => self.say("refused-nul-byte", &[]),
            ContentTooLong { max_chars } => {
                self.say("refused-content-too-long", &[("max", n(*max_chars))])
            }
            InvalidUsername(problem) => self.name_problem(*problem),
            InvalidPassword(problem) => self.password_problem(*problem),
            InvalidState(problem) => match problem {
                StateProblem::Blank => self.say("refused-state-blank", &[]),
                StateProblem::TooLong { max_chars } => {
                    self.say("refused-state-too-long", &[("max", n(*max_chars))])
                }
                StateProblem::Invisible => self.say("refused-state-invisible", &[]),
            },
            InvalidChannel(problem) => self.say(
                match problem {
                    ChannelNameProblem::NoHash => "refused-channel-no-hash",
                    ChannelNameProblem::Length => "refused-channel-length",
                    ChannelNameProblem::Characters => "refused-channel-characters",
                },
                &[],
            ),
            ConnectionClosed => self.say("refused-connection-closed", &[]),
            NotLoggedIn => self.say("refused-not-logged-in", &[]),
            Storage => self.say("refused-storage", &[]),
            UsernameTaken => self.say("refused-username-taken", &[]),
            NoFreeGuestName => self.say("refused-no-free-guest-name", &[]),
            RegistrationClosed => self.say("refused-registration-closed", &[]),
            GuestsClosed => self.say("refused-guests-closed", &[]),
            LoginFailed => self.say("refused-login-failed", &[]),
            LoginBanned { reason } => {
                self.with_duration_and_reason("refused-login-banned", None, reason.as_deref(), &[])
            }
            DirectoryUnavailable => self.say("refused-directory-unavailable", &[]),
            LookAlikeOnline => self.say("refused-look-alike-online", &[]),
            AlreadyLoggedIn => self.say("refused-already-logged-in", &[]),
            LoginExcluded(left) | GuestExcluded(left) => self.remaining("refused-excluded", *left),
            TooManyLoginAttempts => self.say("refused-too-many-login-attempts", &[]),
            TooManyNameProbes => self.say("refused-too-many-name-probes", &[]),
            TooManyPendingLogins => self.say("refused-too-many-pending-logins", &[]),
            TooManyReads => self.say("refused-too-many-reads", &[]),
            TooManyMessages => self.say("refused-too-many-messages", &[]),
            UnfinishedLine => self.say("refused-unfinished-line", &[]),
            IdentifyTimeout => self.say("refused-identify-timeout", &[]),
            Muted(left) => self.remaining("refused-muted", *left),
            JoinBeforeWriting { channel } => {
                self.say("refused-join-before-writing", &[("channel", s(channel))])
            }
            ChannelGone { channel } => self.say("refused-channel-gone", &[("channel", s(channel))]),
            UserOffline { name } => self.say("refused-user-offline", &[("name", s(name))]),
            PrivateToSelf => self.say("refused-private-to-self", &[]),
            PrivateOnlyToTeachers => self.say("refused-private-only-to-teachers", &[]),
            NoSuchMessage { id } => self.say("refused-no-such-message", &[("id", n(*id as usize))]),
            NothingToReport { name } => self.say("refused-nothing-to-report", &[("name", s(name))]),
            TooManyReports => self.say("refused-too-many-reports", &[]),
            OutsideHours { reopens } => self.with_reopening("refused-outside-hours", reopens),
            SessionExpired => self.say("refused-session-expired", &[]),
            SessionsOff => self.say("refused-sessions-off", &[]),
            SessionNeedsAccount => self.say("refused-session-needs-account", &[]),
            PrivateHistoryNeedsAccount => self.say("refused-private-history-needs-account", &[]),
            PrivateClosed => self.say("refused-private-closed", &[]),
            LeaveDefault { default } => {
                self.say("refused-leave-default", &[("default", s(default))])
            }
            NotInChannel { channel } => {
                self.say("refused-not-in-channel", &[("channel", s(channel))])
            }
            JoinFirst { channel } => self.say("refused-join-first", &[("channel", s(channel))]),
            GuestsCannotCreate => self.say("refused-guests-cannot-create", &[]),
            ServerChannelsFull { max } => {
                self.say("refused-server-channels-full", &[("max", n(*max))])
            }
            OnlyTeachersCreate => self.say("refused-only-teachers-create", &[]),
            OwnChannelsFull { count } => {
                self.say("refused-own-channels-full", &[("count", n(*count))])
            }
            RoomPrivate { room } => self.say("refused-room-private", &[("room", s(room))]),
            RoomModerated { room } => self.say("refused-room-moderated", &[("room", s(room))]),
            DefaultRoomStaysOpen { default } => self.say(
                "refused-default-room-stays-open",
                &[("default", s(default))],
            ),
            DefaultRoomStays { default } => {
                self.say("refused-default-room-stays", &[("default", s(default))])
            }
            NoSuchRoom { room } => self.say("refused-no-such-room", &[("room", s(room))]),
            NotAsked { name, room } => {
                self.say("refused-not-asked", &[("name", s(name)), ("room", s(room))])
            }
            CommandForbidden { word, needs } => self.say(
                match needs {
                    Role::Admin => "refused-command-for-admins",
                    _ => "refused-command-for-teachers",
                },
                &[("word", s(&self.typed_word(word)))],
            ),
            CommandBounds { word, problem } => self.say(
                "refused-command-bounds",
                &[
                    ("word", s(&self.typed_word(word))),
                    ("problem", s(&self.usage_problem(*problem, None))),
                ],
            ),
            Usage {
                word,
                problem,
                text,
            } => self.say(
                "refused-usage",
                &[
                    ("usage", s(&self.usage(word))),
                    ("problem", s(&self.usage_problem(*problem, text.as_deref()))),
                ],
            ),
            OnlyFromChatClient => self.say("refused-only-from-chat-client", &[]),
            Nobody { name, what } => self.say(
                match what {
                    NobodyIs::Unknown => "refused-nobody-unknown",
                    NobodyIs::NotOnline => "refused-nobody-not-online",
                    NobodyIs::NoAccount => "refused-nobody-no-account",
                    NobodyIs::NotMuted => "refused-nobody-not-muted",
                    NobodyIs::NotSanctioned => "refused-nobody-not-sanctioned",
                },
                &[("name", s(name))],
            ),
            NotToYourself => self.say("refused-not-to-yourself", &[]),
            Outranks { name, role } => self.say(
                "refused-outranks",
                &[("name", s(name)), ("role", s(&self.role(*role)))],
            ),
            EmptyNotice => self.say("refused-empty-notice", &[]),
            NoShutdownUnderWay => self.say("refused-no-shutdown", &[]),
            GuestNotMember { name } => self.say("refused-guest-not-member", &[("name", s(name))]),
        }
    }

    /// Why a user name is refused (also the words of the administrator's tools).
    pub(crate) fn name_problem(&self, problem: NameProblem) -> String {
        match problem {
            NameProblem::Blank => self.say("refused-username-blank", &[]),
            NameProblem::TooLong { max_chars } => self.say(
                "refused-username-too-long",
                &[("max", FluentValue::from(max_chars))],
            ),
            NameProblem::Invisible => self.say("refused-username-invisible", &[]),
            NameProblem::EdgeSpaces => self.say("refused-username-edge-spaces", &[]),
            NameProblem::Reserved => self.say("refused-username-reserved", &[]),
            NameProblem::Marker => self.say("refused-username-marker", &[]),
        }
    }

    /// Why a new password is refused (also the words of the administrator's tools).
    pub(crate) fn password_problem(&self, problem: PasswordProblem) -> String {
        match problem {
            PasswordProblem::TooLong { max_bytes } => self.say(
                "refused-password-too-long",
                &[("max", FluentValue::from(max_bytes))],
            ),
            PasswordProblem::TooShort { min_chars } => self.say(
                "refused-password-too-short",
                &[("min", FluentValue::from(min_chars))],
            ),
        }
    }

    /// `{id}-for` with the time left (at least one second), or `{id}-until-lifted`.
    fn remaining(&self, id: &str, left: Remaining) -> String {
        match left {
            Remaining::For(left) => {
                let left = Duration::from_secs(left.as_secs().max(1));
                self.say(
                    &format!("{id}-for"),
                    &[("duration", FluentValue::from(self.duration(left)))],
                )
            }
            Remaining::UntilLifted => self.say(&format!("{id}-until-lifted"), &[]),
        }
    }

    /// `id`, `id-for` (with a duration), `id-because` (with a reason) or `id-for-because`.
    fn with_duration_and_reason(
        &self,
        id: &str,
        duration: Option<Duration>,
        reason: Option<&str>,
        args: &[(&'static str, FluentValue<'_>)],
    ) -> String {
        let mut args = args.to_vec();
        let mut id = id.to_owned();
        if let Some(duration) = duration {
            id.push_str("-for");
            args.push(("duration", FluentValue::from(self.duration(duration))));
        }
        if let Some(reason) = reason {
            id.push_str("-because");
            args.push(("reason", FluentValue::from(reason.to_owned())));
        }
        self.say(&id, &args)
    }

    /// The words of a notice.
    pub(crate) fn notice(&self, notice: &Notice) -> String {
        let s = |value: &str| FluentValue::from(value.to_owned());
        match notice {
            Notice::Muted { duration } => {
                self.with_duration_and_reason("notice-muted", *duration, None, &[])
            }
            Notice::Unmuted => self.say("notice-unmuted", &[]),
            Notice::Invited { room } => self.say("notice-invited", &[("room", s(room))]),
            Notice::RequestRefused { room, reason } => self.with_duration_and_reason(
                "notice-request-refused",
                None,
                reason.as_deref(),
                &[("room", s(room))],
            ),
            Notice::JoinRequest { name, room } => self.say(
                "notice-join-request",
                &[("name", s(name)), ("room", s(room))],
            ),
            Notice::Reported {
                reporter,
                sender,
                room,
                id,
                excerpt,
                reason,
            } => self.with_duration_and_reason(
                if room.is_some() {
                    "notice-reported"
                } else {
                    "notice-reported-private"
                },
                None,
                reason.as_deref(),
                &[
                    ("reporter", s(reporter)),
                    ("sender", s(sender)),
                    ("room", s(room.as_deref().unwrap_or_default())),
                    ("id", FluentValue::from(*id)),
                    ("excerpt", s(&excerpt_of(excerpt))),
                ],
            ),
            Notice::RoomClosed { room, default } => self.say(
                "notice-room-closed",
                &[("room", s(room)), ("default", s(default))],
            ),
            Notice::InRoom { room, default } => self.say(
                "notice-in-room",
                &[("room", s(room)), ("default", s(default))],
            ),
            Notice::Kicked { duration, reason } => {
                self.with_duration_and_reason("notice-kicked", *duration, reason.as_deref(), &[])
            }
            Notice::Banned { by, reason } => self.with_duration_and_reason(
                match by {
                    Banner::Teacher => "notice-banned-by-teacher",
                    Banner::Administrator => "notice-banned-by-admin",
                },
                None,
                reason.as_deref(),
                &[],
            ),
            Notice::AccountBanned => self.say("notice-account-banned", &[]),
            Notice::AccountDeleted => self.say("notice-account-deleted", &[]),
            Notice::Replaced => self.say("notice-replaced", &[]),
            Notice::NotStored => self.say("notice-not-stored", &[]),
            Notice::Announcement(text) => text.clone(),
            Notice::Countdown { seconds, message } => match message {
                None => self.say(
                    "notice-countdown",
                    &[("seconds", FluentValue::from(*seconds))],
                ),
                Some(message) => self.say(
                    "notice-countdown-message",
                    &[
                        ("seconds", FluentValue::from(*seconds)),
                        ("message", s(message)),
                    ],
                ),
            },
            Notice::CountdownCancelled => self.say("notice-countdown-cancelled", &[]),
            Notice::HoursEnded { reopens } => self.with_reopening("notice-hours-ended", reopens),
            Notice::Stopping => self.say("notice-stopping", &[]),
        }
    }

    /// The lines of an action's answer (lines already made are not text: none here).
    /// `max_bytes` bounds the long lists (`/who`).
    /// `compact`: one line where one fits (legacy clients: two of the real Java clients keep
    /// only the last message of a burst).
    pub(crate) fn answer(&self, answer: &Answer, max_bytes: usize, compact: bool) -> Vec<String> {
        let s = |value: &str| FluentValue::from(value.to_owned());
        let one = |line: String| vec![line];
        match answer {
            Answer::Help { role } if compact => one(self.compact_help(*role)),
            Answer::Help { role } => self.help(*role),
            Answer::Who { online, viewer } if compact => {
                one(self.compact_who(online, *viewer, max_bytes))
            }
            Answer::Who { online, viewer } => self.who(online, *viewer, max_bytes),
            Answer::Rooms(rooms) if compact => one(self.compact_rooms(rooms)),
            Answer::Rooms(rooms) => self.rooms(rooms),
            Answer::RoomMembers(members) if compact => one(self.compact_members(members)),
            Answer::RoomMembers(members) => self.room_members(members),
            Answer::Lines(_) => Vec::new(),
            Answer::InDefaultRoom { default } => {
                one(self.say("answer-in-default-room", &[("default", s(default))]))
            }
            Answer::LeftRoom { room, default } => one(self.say(
                "answer-left-room",
                &[("room", s(room)), ("default", s(default))],
            )),
            Answer::Kicked {
                name,
                duration,
                guest,
            } => one(match duration {
                None => self.say("answer-kicked", &[("name", s(name))]),
                Some(duration) => self.say(
                    if *guest {
                        "answer-kicked-for-guest"
                    } else {
                        "answer-kicked-for"
                    },
                    &[
                        ("name", s(name)),
                        ("duration", FluentValue::from(self.duration(*duration))),
                    ],
                ),
            }),
            Answer::Banned { name } => one(self.say("answer-banned", &[("name", s(name))])),
            Answer::Unbanned { name } => one(self.say("answer-unbanned", &[("name", s(name))])),
            Answer::Muted { name, duration } => one(self.with_duration_and_reason(
                "answer-muted",
                *duration,
                None,
                &[("name", s(name))],
            )),
            Answer::Unmuted { name } => one(self.say("answer-unmuted", &[("name", s(name))])),
            Answer::NoticeSent => one(self.say("answer-notice-sent", &[])),
            Answer::ShutdownIn { seconds } => one(self.say(
                "answer-shutdown-in",
                &[("seconds", FluentValue::from(*seconds))],
            )),
            Answer::ShutdownCancelled => one(self.say("answer-shutdown-cancelled", &[])),
            Answer::Accepted { name, room } => {
                one(self.say("answer-accepted", &[("name", s(name)), ("room", s(room))]))
            }
            Answer::Rejected { name, room } => {
                one(self.say("answer-rejected", &[("name", s(name)), ("room", s(room))]))
            }
            Answer::Invited { name, room } => {
                one(self.say("answer-invited", &[("name", s(name)), ("room", s(room))]))
            }
            Answer::RoomCreated { room, mode } => one(self.say(
                "answer-room-created",
                &[("room", s(room)), ("mode", s(&self.mode(*mode)))],
            )),
            Answer::RoomModeChanged { room, mode } => one(self.say(
                "answer-room-mode-changed",
                &[("room", s(room)), ("mode", s(&self.mode(*mode)))],
            )),
            Answer::RoomClosed { room } => {
                one(self.say("answer-room-closed", &[("room", s(room))]))
            }
            Answer::Deleted { id, sender } => one(self.say(
                "answer-deleted",
                &[("id", FluentValue::from(*id)), ("name", s(sender))],
            )),
            Answer::Purged { name, count } => one(self.say(
                "answer-purged",
                &[("name", s(name)), ("count", FluentValue::from(*count))],
            )),
            Answer::ReportSent => one(self.say("answer-report-sent", &[])),
            Answer::Reports(reports) if reports.is_empty() => {
                one(self.say("answer-reports-none", &[]))
            }
            Answer::Reports(reports) if compact => one(self.say(
                "compact-reports",
                &[(
                    "list",
                    FluentValue::from(
                        reports
                            .iter()
                            .map(|report| self.report_line(report))
                            .collect::<Vec<_>>()
                            .join(" ; "),
                    ),
                )],
            )),
            Answer::Reports(reports) => std::iter::once(self.say("answer-reports", &[]))
                .chain(reports.iter().map(|report| self.report_line(report)))
                .collect(),
        }
    }

    /// A sentence with when writing reopens (`ID-when` and `$when`), or `ID` without one.
    fn with_reopening(&self, id: &str, reopens: &Option<Reopening>) -> String {
        let Some(reopens) = reopens else {
            return self.say(id, &[]);
        };
        let time = FluentValue::from(reopens.time.clone());
        let when = match reopens.day {
            ReopeningDay::Today => self.say("reopening-today", &[("time", time)]),
            ReopeningDay::Tomorrow => self.say("reopening-tomorrow", &[("time", time)]),
            ReopeningDay::Weekday(day) => self.say(
                "reopening-day",
                &[
                    (
                        "day",
                        FluentValue::from(self.say(&format!("day-{day}"), &[])),
                    ),
                    ("time", time),
                ],
            ),
        };
        self.say(&format!("{id}-when"), &[("when", FluentValue::from(when))])
    }

    /// One report as teachers read it in `/signalements`.
    fn report_line(&self, report: &ReportListing) -> String {
        let s = |value: &str| FluentValue::from(value.to_owned());
        let place = match &report.channel {
            Some(room) => room.clone(),
            None => self.say("answer-reports-private", &[]),
        };
        self.with_duration_and_reason(
            "answer-reports-line",
            None,
            report.reason.as_deref(),
            &[
                ("id", FluentValue::from(report.message_id)),
                ("at", s(&crate::time_format::local_day_time(report.at_ms))),
                ("reporter", s(&report.reporter)),
                ("sender", s(&report.sender)),
                ("place", s(&place)),
                ("excerpt", s(&excerpt_of(&report.content))),
            ],
        )
    }

    /// The commands this role may use, one line each.
    fn help(&self, role: Role) -> Vec<String> {
        let mut lines = vec![self.say("answer-help", &[])];
        lines.extend(
            COMMANDS
                .iter()
                .filter(|info| info.role <= role)
                .map(|info| {
                    let summary = self.say(&format!("summary-{}", info.word), &[]);
                    self.say(
                        "answer-help-line",
                        &[
                            ("usage", FluentValue::from(self.usage(info.word))),
                            ("summary", FluentValue::from(summary)),
                        ],
                    )
                }),
        );
        lines
    }

    /// The commands this role may use, on one line.
    fn compact_help(&self, role: Role) -> String {
        let words: Vec<String> = COMMANDS
            .iter()
            .filter(|info| info.role <= role)
            .map(|info| format!("/{}", self.typed_word(info.word)))
            .collect();
        let words = FluentValue::from(words.join(", "));
        self.say("compact-help", &[("words", words)])
    }

    /// One person of `/who`: a guest or a role is marked, moderators also see addresses.
    fn who_entry(&self, user: &OnlineUser, viewer: Role) -> String {
        let name = FluentValue::from(user.name.clone());
        let mut line = match (user.kind, user.role) {
            (NameKind::Guest, _) => self.say("answer-who-guest", &[("name", name)]),
            (NameKind::Account, Role::User) => user.name.clone(),
            (NameKind::Account, role) => self.say(
                "answer-who-role",
                &[("name", name), ("role", FluentValue::from(self.role(role)))],
            ),
        };
        if viewer >= Role::Moderator {
            line.push(' ');
            line.push_str(&user.address.ip().to_string());
        }
        line
    }

    /// Who is online on one line, cut (with how many more) within `max_bytes`.
    fn compact_who(&self, online: &[OnlineUser], viewer: Role, max_bytes: usize) -> String {
        let mut entries: Vec<String> = Vec::new();
        let mut used = 64;
        for (index, user) in online.iter().enumerate() {
            let entry = self.who_entry(user, viewer);
            used += entry.len() + 16;
            if used > max_bytes {
                let more = FluentValue::from(online.len() - index);
                entries.push(self.say("answer-who-more", &[("count", more)]));
                break;
            }
            entries.push(entry);
        }
        self.say(
            "compact-who",
            &[
                ("count", FluentValue::from(online.len())),
                ("list", FluentValue::from(entries.join(", "))),
            ],
        )
    }

    fn compact_rooms(&self, rooms: &[RoomListing]) -> String {
        if rooms.is_empty() {
            return self.say("compact-rooms-none", &[]);
        }
        let list: Vec<String> = rooms
            .iter()
            .map(|room| {
                self.say(
                    if room.ask {
                        "compact-room-ask"
                    } else {
                        "compact-room"
                    },
                    &[
                        ("room", FluentValue::from(room.name.clone())),
                        ("mode", FluentValue::from(self.mode(room.mode))),
                        ("count", FluentValue::from(room.members)),
                    ],
                )
            })
            .collect();
        let list = FluentValue::from(list.join("; "));
        self.say("compact-rooms", &[("list", list)])
    }

    fn compact_members(&self, room: &RoomMembers) -> String {
        self.say(
            "compact-members",
            &[
                ("room", FluentValue::from(room.room.clone())),
                ("mode", FluentValue::from(self.mode(room.mode))),
                ("members", self.name_list(&room.members)),
                ("online", self.name_list(&room.online)),
                ("pending", self.name_list(&room.pending)),
            ],
        )
    }

    /// Names joined by commas: "nobody" when there are none, the first hundred and how many
    /// more past that.
    fn name_list(&self, names: &[String]) -> FluentValue<'static> {
        FluentValue::from(match names.len() {
            0 => self.say("answer-list-nobody", &[]),
            n if n > MEMBERS_LISTED => self.say(
                "answer-list-more",
                &[
                    (
                        "list",
                        FluentValue::from(names[..MEMBERS_LISTED].join(", ")),
                    ),
                    ("count", FluentValue::from(n - MEMBERS_LISTED)),
                ],
            ),
            _ => names.join(", "),
        })
    }

    /// Who is online, one line each, within `max_bytes`: moderators also see addresses.
    fn who(&self, online: &[OnlineUser], viewer: Role, max_bytes: usize) -> Vec<String> {
        let count = |n: usize| FluentValue::from(n);
        let mut lines = vec![self.say("answer-who", &[("count", count(online.len()))])];
        let mut used = lines[0].len();
        for (index, user) in online.iter().enumerate() {
            let line = self.who_entry(user, viewer);
            used += line.len() + 16;
            if used > max_bytes {
                lines.push(self.say("answer-who-more", &[("count", count(online.len() - index))]));
                break;
            }
            lines.push(line);
        }
        lines
    }

    fn rooms(&self, rooms: &[RoomListing]) -> Vec<String> {
        let mut lines = vec![self.say("answer-rooms", &[])];
        lines.extend(rooms.iter().map(|room| {
            self.say(
                if room.ask {
                    "answer-rooms-line-ask"
                } else {
                    "answer-rooms-line"
                },
                &[
                    ("room", FluentValue::from(room.name.clone())),
                    ("mode", FluentValue::from(self.mode(room.mode))),
                    ("count", FluentValue::from(room.members)),
                ],
            )
        }));
        lines
    }

    fn room_members(&self, room: &RoomMembers) -> Vec<String> {
        let list = |names: &[String]| self.name_list(names);
        vec![
            self.say(
                "answer-members-room",
                &[
                    ("room", FluentValue::from(room.room.clone())),
                    ("mode", FluentValue::from(self.mode(room.mode))),
                ],
            ),
            self.say("answer-members", &[("list", list(&room.members))]),
            self.say("answer-members-online", &[("list", list(&room.online))]),
            self.say("answer-members-pending", &[("list", list(&room.pending))]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::net::SocketAddr;

    use fluent_syntax::ast;

    use super::*;

    /// Each message id of a language's file, with the placeholders it uses.
    fn messages(source: &str) -> Vec<(String, BTreeSet<String>)> {
        let resource = fluent_syntax::parser::parse(source).expect("the file parses");
        resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                ast::Entry::Message(message) => {
                    let mut variables = BTreeSet::new();
                    if let Some(pattern) = &message.value {
                        pattern_variables(pattern, &mut variables);
                    }
                    Some((message.id.name.to_owned(), variables))
                }
                _ => None,
            })
            .collect()
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, out),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    #[test]
    fn both_languages_have_every_message_with_the_same_placeholders() {
        let french = messages(catalogue(Language::Fr).1);
        let english = messages(catalogue(Language::En).1);
        assert!(french.len() > 150, "{} messages", french.len());
        assert_eq!(
            french.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            english.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "the two files list the same ids in the same order"
        );
        for ((id, fr), (_, en)) in french.iter().zip(&english) {
            assert_eq!(fr, en, "{id}: placeholders differ");
        }
    }

    /// Every refusal, notice and answer the code can make, rendered in both languages: a
    /// missing message or placeholder fails (`say` asserts in debug builds).
    fn samples() -> (Vec<Refused>, Vec<Notice>, Vec<Answer>) {
        let name = || "Zoé Élève".to_owned();
        let room = || "#devoirs".to_owned();
        let left = Remaining::For(Duration::from_secs(598));
        let mut refused = vec![
            Refused::Malformed(LineProblem::InvalidJson { line: 1, column: 4 }),
            Refused::Malformed(LineProblem::NestingTooDeep),
            Refused::Malformed(LineProblem::NotAnObject),
            Refused::Malformed(LineProblem::MissingType),
            Refused::Malformed(LineProblem::TypeNotString),
            Refused::Malformed(LineProblem::UnknownType { kind: "x".into() }),
            Refused::Malformed(LineProblem::InvalidCommand { detail: "x".into() }),
            Refused::Malformed(LineProblem::PrivateNeedsTo),
            Refused::Malformed(LineProblem::UnknownSubtype {
                subtype: "x".into(),
            }),
            Refused::Malformed(LineProblem::MissingField {
                kind: "login".into(),
                field: "username",
                expected: Expected::String,
            }),
            Refused::Malformed(LineProblem::WrongType {
                kind: "hello".into(),
                field: "presence",
                expected: Expected::Bool,
            }),
            Refused::Malformed(LineProblem::WrongType {
                kind: "hello".into(),
                field: "version",
                expected: Expected::Integer,
            }),
            Refused::LineTooLong { max_bytes: 8192 },
            Refused::NulByte,
            Refused::ContentTooLong { max_chars: 4000 },
            Refused::InvalidPassword(PasswordProblem::TooLong { max_bytes: 1024 }),
            Refused::InvalidPassword(PasswordProblem::TooShort { min_chars: 1 }),
            Refused::InvalidPassword(PasswordProblem::TooShort { min_chars: 8 }),
            Refused::InvalidState(StateProblem::Blank),
            Refused::InvalidState(StateProblem::TooLong { max_chars: 64 }),
            Refused::InvalidState(StateProblem::Invisible),
            Refused::InvalidChannel(ChannelNameProblem::NoHash),
            Refused::InvalidChannel(ChannelNameProblem::Length),
            Refused::InvalidChannel(ChannelNameProblem::Characters),
            Refused::ConnectionClosed,
            Refused::NotLoggedIn,
            Refused::Storage,
            Refused::UsernameTaken,
            Refused::NoFreeGuestName,
            Refused::RegistrationClosed,
            Refused::GuestsClosed,
            Refused::LoginFailed,
            Refused::LoginBanned { reason: None },
            Refused::LoginBanned {
                reason: Some("insultes".into()),
            },
            Refused::DirectoryUnavailable,
            Refused::LookAlikeOnline,
            Refused::AlreadyLoggedIn,
            Refused::LoginExcluded(left),
            Refused::GuestExcluded(Remaining::UntilLifted),
            Refused::TooManyLoginAttempts,
            Refused::TooManyNameProbes,
            Refused::TooManyPendingLogins,
            Refused::TooManyReads,
            Refused::TooManyMessages,
            Refused::UnfinishedLine,
            Refused::IdentifyTimeout,
            Refused::Muted(left),
            Refused::Muted(Remaining::UntilLifted),
            Refused::JoinBeforeWriting { channel: room() },
            Refused::ChannelGone { channel: room() },
            Refused::UserOffline { name: name() },
            Refused::PrivateToSelf,
            Refused::PrivateOnlyToTeachers,
            Refused::PrivateClosed,
            Refused::LeaveDefault { default: room() },
            Refused::NotInChannel { channel: room() },
            Refused::JoinFirst { channel: room() },
            Refused::GuestsCannotCreate,
            Refused::ServerChannelsFull { max: 200 },
            Refused::OnlyTeachersCreate,
            Refused::OwnChannelsFull { count: 5 },
            Refused::RoomPrivate { room: room() },
            Refused::RoomModerated { room: room() },
            Refused::DefaultRoomStaysOpen { default: room() },
            Refused::DefaultRoomStays { default: room() },
            Refused::NoSuchRoom { room: room() },
            Refused::NotAsked {
                name: name(),
                room: room(),
            },
            Refused::CommandForbidden {
                word: "kick",
                needs: Role::Moderator,
            },
            Refused::CommandForbidden {
                word: "shutdown",
                needs: Role::Admin,
            },
            Refused::CommandBounds {
                word: "mute",
                problem: UsageProblem::ZeroDuration,
            },
            Refused::OnlyFromChatClient,
            Refused::NotToYourself,
            Refused::Outranks {
                name: name(),
                role: Role::Moderator,
            },
            Refused::EmptyNotice,
            Refused::NoShutdownUnderWay,
            Refused::GuestNotMember { name: name() },
            Refused::NoSuchMessage { id: 42 },
            Refused::NothingToReport { name: name() },
            Refused::TooManyReports,
            Refused::SessionExpired,
            Refused::SessionsOff,
            Refused::SessionNeedsAccount,
            Refused::PrivateHistoryNeedsAccount,
            Refused::OutsideHours { reopens: None },
            Refused::OutsideHours {
                reopens: Some(Reopening {
                    day: ReopeningDay::Today,
                    time: "13:30".into(),
                }),
            },
            Refused::OutsideHours {
                reopens: Some(Reopening {
                    day: ReopeningDay::Tomorrow,
                    time: "07:30".into(),
                }),
            },
        ];
        for problem in [
            NameProblem::Blank,
            NameProblem::TooLong { max_chars: 64 },
            NameProblem::Invisible,
            NameProblem::EdgeSpaces,
            NameProblem::Reserved,
            NameProblem::Marker,
        ] {
            refused.push(Refused::InvalidUsername(problem));
        }
        for what in [
            NobodyIs::Unknown,
            NobodyIs::NotOnline,
            NobodyIs::NoAccount,
            NobodyIs::NotMuted,
            NobodyIs::NotSanctioned,
        ] {
            refused.push(Refused::Nobody { name: name(), what });
        }
        for problem in [
            UsageProblem::MissingName,
            UsageProblem::MissingRoom,
            UsageProblem::MissingText,
            UsageProblem::MissingSeconds,
            UsageProblem::MissingMessage,
            UsageProblem::NotADuration,
            UsageProblem::ZeroDuration,
            UsageProblem::DurationTooLong {
                max: classcord_protocol::action::MAX_SANCTION,
            },
            UsageProblem::CountdownTooLong,
            UsageProblem::OnlyDurationAfterName,
            UsageProblem::OnlyName,
            UsageProblem::OnlyNameAndRoom,
            UsageProblem::BadMode,
            UsageProblem::NothingAfterMode,
            UsageProblem::RoomSubcommand,
            UsageProblem::MissingMessageId,
            UsageProblem::MissingMessageOrName,
            UsageProblem::BadCount { max: 200 },
        ] {
            for info in COMMANDS {
                refused.push(Refused::Usage {
                    word: info.word,
                    problem,
                    text: Some("10x".into()),
                });
            }
        }
        let duration = Some(Duration::from_secs(5400));
        let notices = vec![
            Notice::Muted { duration: None },
            Notice::Muted { duration },
            Notice::Unmuted,
            Notice::Invited { room: room() },
            Notice::RequestRefused {
                room: room(),
                reason: None,
            },
            Notice::RequestRefused {
                room: room(),
                reason: Some("pas ce soir".into()),
            },
            Notice::JoinRequest {
                name: name(),
                room: room(),
            },
            Notice::HoursEnded { reopens: None },
            Notice::HoursEnded {
                reopens: Some(Reopening {
                    day: ReopeningDay::Weekday(1),
                    time: "07:30".into(),
                }),
            },
            Notice::Reported {
                reporter: name(),
                sender: name(),
                room: Some(room()),
                id: 42,
                excerpt: "t'es nul".into(),
                reason: None,
            },
            Notice::Reported {
                reporter: name(),
                sender: name(),
                room: None,
                id: 42,
                excerpt: "x".repeat(500),
                reason: Some("insulte".into()),
            },
            Notice::RoomClosed {
                room: room(),
                default: room(),
            },
            Notice::InRoom {
                room: room(),
                default: room(),
            },
            Notice::Kicked {
                duration: None,
                reason: None,
            },
            Notice::Kicked {
                duration,
                reason: Some("bavardage".into()),
            },
            Notice::Kicked {
                duration,
                reason: None,
            },
            Notice::Kicked {
                duration: None,
                reason: Some("bavardage".into()),
            },
            Notice::Banned {
                by: Banner::Teacher,
                reason: None,
            },
            Notice::Banned {
                by: Banner::Teacher,
                reason: Some("insultes".into()),
            },
            Notice::Banned {
                by: Banner::Administrator,
                reason: None,
            },
            Notice::Banned {
                by: Banner::Administrator,
                reason: Some("insultes".into()),
            },
            Notice::AccountBanned,
            Notice::AccountDeleted,
            Notice::Replaced,
            Notice::NotStored,
            Notice::Announcement("contrôle demain".into()),
            Notice::Countdown {
                seconds: 10,
                message: None,
            },
            Notice::Countdown {
                seconds: 10,
                message: Some("fin du cours".into()),
            },
            Notice::CountdownCancelled,
            Notice::Stopping,
        ];
        let address: SocketAddr = "10.0.0.7:4000".parse().unwrap();
        let person = |kind, role| OnlineUser {
            name: name(),
            address,
            kind,
            role,
        };
        let online = vec![
            person(NameKind::Account, Role::User),
            person(NameKind::Account, Role::Moderator),
            person(NameKind::Guest, Role::User),
        ];
        let listing = |ask| RoomListing {
            name: room(),
            mode: RoomMode::Moderated,
            members: 3,
            ask,
        };
        let names = vec![name(); 101];
        let answers = vec![
            Answer::Help { role: Role::Admin },
            Answer::Help { role: Role::User },
            Answer::Who {
                online: online.clone(),
                viewer: Role::Moderator,
            },
            Answer::Who {
                online,
                viewer: Role::User,
            },
            Answer::Rooms(vec![listing(false), listing(true)]),
            Answer::Rooms(Vec::new()),
            Answer::RoomMembers(RoomMembers {
                room: room(),
                mode: RoomMode::Private,
                members: names,
                online: vec![name()],
                pending: Vec::new(),
            }),
            Answer::InDefaultRoom { default: room() },
            Answer::LeftRoom {
                room: room(),
                default: room(),
            },
            Answer::Kicked {
                name: name(),
                duration: None,
                guest: false,
            },
            Answer::Kicked {
                name: name(),
                duration,
                guest: false,
            },
            Answer::Kicked {
                name: name(),
                duration,
                guest: true,
            },
            Answer::Banned { name: name() },
            Answer::Unbanned { name: name() },
            Answer::Muted {
                name: name(),
                duration: None,
            },
            Answer::Muted {
                name: name(),
                duration,
            },
            Answer::Unmuted { name: name() },
            Answer::NoticeSent,
            Answer::ShutdownIn { seconds: 30 },
            Answer::ShutdownCancelled,
            Answer::Accepted {
                name: name(),
                room: room(),
            },
            Answer::Rejected {
                name: name(),
                room: room(),
            },
            Answer::Invited {
                name: name(),
                room: room(),
            },
            Answer::RoomCreated {
                room: room(),
                mode: RoomMode::Open,
            },
            Answer::RoomModeChanged {
                room: room(),
                mode: RoomMode::Private,
            },
            Answer::RoomClosed { room: room() },
            Answer::Deleted {
                id: 42,
                sender: name(),
            },
            Answer::Purged {
                name: name(),
                count: 0,
            },
            Answer::Purged {
                name: name(),
                count: 1,
            },
            Answer::Purged {
                name: name(),
                count: 7,
            },
            Answer::ReportSent,
            Answer::Reports(Vec::new()),
            Answer::Reports(vec![crate::vocabulary::ReportListing {
                id: 1,
                at_ms: 1_700_000_000_000,
                reporter: name(),
                message_id: 42,
                sender: name(),
                channel: None,
                recipient: Some(name()),
                content: "t'es nul".into(),
                reason: Some("insulte".into()),
            }]),
        ];
        (refused, notices, answers)
    }

    #[test]
    fn every_outcome_renders_in_both_languages_without_isolation_marks() {
        let (refused, notices, answers) = samples();
        for language in [Language::Fr, Language::En] {
            let texts = Texts::new(language);
            let mut all: Vec<String> = refused.iter().map(|r| texts.refused(r)).collect();
            all.extend(notices.iter().map(|n| texts.notice(n)));
            for answer in &answers {
                all.extend(texts.answer(answer, 16 * 1024, false));
                all.extend(texts.answer(answer, 16 * 1024, true));
            }
            for text in &all {
                assert!(!text.is_empty());
                assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text:?}");
                assert!(!text.contains("{ $"), "{text:?}");
            }
        }
    }

    #[test]
    fn french_texts_read_as_french() {
        let texts = Texts::new(Language::Fr);
        assert_eq!(
            texts.refused(&Refused::UsernameTaken),
            "Ce nom d'utilisateur existe déjà (already exists)."
        );
        assert_eq!(
            texts.refused(&Refused::Muted(Remaining::For(Duration::from_secs(300)))),
            "Un enseignant vous a rendu muet (encore 5 minutes) : votre message n'a pas été envoyé."
        );
        assert_eq!(texts.duration(Duration::from_secs(5400)), "1 h 30 min");
        assert_eq!(texts.duration(Duration::from_secs(3600)), "1 heure");
        assert_eq!(texts.duration(Duration::from_secs(1)), "1 seconde");
        assert_eq!(texts.duration(Duration::from_secs(2 * 86_400)), "2 jours");
        assert_eq!(
            texts.refused(&Refused::CommandForbidden {
                word: "kick",
                needs: Role::Moderator
            }),
            "/expulser est réservé aux enseignants : rien n'a été fait."
        );
        let english = Texts::new(Language::En);
        assert_eq!(english.duration(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(
            english.refused(&Refused::NotAsked {
                name: "Zoé".into(),
                room: "#devoirs".into(),
            }),
            "Zoé has not asked to join #devoirs."
        );
    }

    #[test]
    fn every_command_has_its_usage_and_summary() {
        for language in [Language::Fr, Language::En] {
            let texts = Texts::new(language);
            for info in COMMANDS {
                for id in [
                    format!("usage-{}", info.word),
                    format!("summary-{}", info.word),
                ] {
                    assert!(texts.bundle.has_message(&id), "{id} missing");
                }
            }
        }
    }
}
