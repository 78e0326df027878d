//! The catalogue: every sentence a student or a teacher reads, from one Fluent file per
//! language (`src/texts/*.ftl`, embedded in the binary). The chat core and moderation speak
//! in typed outcomes (`crate::vocabulary`); this module alone turns them into words. Logs,
//! audit and fail2ban lines are for administrators and never come from here.

use std::time::Duration;

use classcord_protocol::{Role, RoomMode, COMMANDS};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::vocabulary::{
    Answer, Banner, ChannelNameProblem, NameKind, NameProblem, NobodyIs, Notice, OnlineUser,
    PasswordProblem, Refused, Remaining, RoomListing, RoomMembers, StateProblem,
};

/// A language of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    English,
}

impl Language {
    fn source(self) -> &'static str {
        match self {
            Language::English => include_str!("en.ftl"),
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
        }
    }
}

/// The words of the administrator's tools (the command line, the admin socket): English,
/// whatever language the server speaks to its users.
pub(crate) fn admin_texts() -> Texts {
    Texts::new(Language::English)
}

/// Names listed per line of `/room members` (the rest are counted).
const MEMBERS_LISTED: usize = 100;

/// One language's sentences.
pub(crate) struct Texts {
    bundle: FluentBundle<FluentResource>,
}

type Args<'a> = &'a [(&'static str, FluentValue<'a>)];

impl Texts {
    pub(crate) fn new(language: Language) -> Texts {
        let resource = FluentResource::try_new(language.source().to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{} catalogue: {errors:?}", language.tag()));
        let tag = language.tag().parse().expect("a valid language tag");
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
        text.into_owned()
    }

    /// A duration as people write it ("10m", "1h 30m").
    fn duration(&self, duration: Duration) -> String {
        humantime::format_duration(duration).to_string()
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

    /// The words of a refusal.
    pub(crate) fn refused(&self, refused: &Refused) -> String {
        use Refused::*;
        let s = |value: &str| FluentValue::from(value.to_owned());
        let n = |value: usize| FluentValue::from(value);
        match refused {
            Malformed(error) => error.message.clone(),
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
            LoginFailed => self.say("refused-login-failed", &[]),
            LoginBanned => self.say("refused-login-banned", &[]),
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
                &[("word", s(word))],
            ),
            CommandBounds { word, problem } => self.say(
                "refused-command-bounds",
                &[("word", s(word)), ("problem", s(problem))],
            ),
            Usage { word, problem } => self.say(
                "refused-usage",
                &[("usage", s(&self.usage(word))), ("problem", s(problem))],
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
            Notice::Stopping => self.say("notice-stopping", &[]),
        }
    }

    /// The lines of an action's answer (lines already made are not text: none here).
    /// `max_bytes` bounds the long lists (`/who`).
    pub(crate) fn answer(&self, answer: &Answer, max_bytes: usize) -> Vec<String> {
        let s = |value: &str| FluentValue::from(value.to_owned());
        let one = |line: String| vec![line];
        match answer {
            Answer::Help { role } => self.help(*role),
            Answer::Who { online, viewer } => self.who(online, *viewer, max_bytes),
            Answer::Rooms(rooms) => self.rooms(rooms),
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
        }
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

    /// Who is online, one line each, within `max_bytes`: moderators also see addresses.
    fn who(&self, online: &[OnlineUser], viewer: Role, max_bytes: usize) -> Vec<String> {
        let count = |n: usize| FluentValue::from(n);
        let mut lines = vec![self.say("answer-who", &[("count", count(online.len()))])];
        let mut used = lines[0].len();
        for (index, user) in online.iter().enumerate() {
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
        let list = |names: &[String]| -> FluentValue<'static> {
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
        };
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
    use super::*;

    #[test]
    fn placeholders_are_filled_without_isolation_marks() {
        let texts = Texts::new(Language::English);
        let text = texts.refused(&Refused::NotAsked {
            name: "Zoé".into(),
            room: "#devoirs".into(),
        });
        assert_eq!(text, "Zoé has not asked to join #devoirs.");
        assert!(!text.contains(['\u{2068}', '\u{2069}']));
    }

    #[test]
    fn every_command_has_its_usage_and_summary() {
        let texts = Texts::new(Language::English);
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
