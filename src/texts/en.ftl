# ClassCord: every sentence a person reads, in English.
# Placeholders are filled by src/texts/mod.rs; durations arrive already written.

## Refusals of requests

refused-line-too-long = Line longer than { $max } bytes: ignored.
refused-nul-byte = NUL characters are not allowed.
refused-content-too-long = Message longer than { $max } characters: not sent.
refused-username-blank = Username must not be blank.
refused-username-too-long = Username is longer than { $max } characters.
refused-username-invisible = Username contains control or invisible characters.
refused-username-edge-spaces = Username must not start or end with spaces.
refused-username-reserved = This username is reserved.
refused-username-marker = Username must not contain brackets or parentheses: the server uses them to mark teachers and guests.
refused-password-too-long = Password longer than { $max } bytes.
refused-password-too-short = Password needs at least { $min } character(s).
refused-state-blank = State must not be blank.
refused-state-too-long = State is longer than { $max } characters.
refused-state-invisible = State contains control or invisible characters.
refused-channel-no-hash = Channel names start with '#'.
refused-channel-length = Channel names have 1 to 32 characters after '#'.
refused-channel-characters = Channel names use only letters, digits, '-' and '_'.
refused-connection-closed = Connection closed.
refused-not-logged-in = Not logged in: log in first.
refused-storage = Server error: try again later.
refused-username-taken = Username already exists.
refused-no-free-guest-name = No free guest name left.
refused-registration-closed = Registration is closed: ask your teacher for your account.
refused-guests-closed = Guests are not accepted: log in with your account.
refused-login-failed = Login failed.
refused-directory-unavailable = The school directory does not answer: try again in a moment.
refused-login-banned = Login failed: account banned.
refused-login-banned-because = Login failed: account banned ({ $reason }).
refused-look-alike-online = Login failed: someone whose name looks the same is online; try again later.
refused-already-logged-in = Already logged in: reconnect to change account.
refused-excluded-for = You were excluded by a moderator for another { $duration }: you cannot come back yet.
refused-excluded-until-lifted = You were excluded by a moderator until a moderator lifts it: you cannot come back yet.
refused-too-many-login-attempts = Too many login attempts: wait a minute.
refused-too-many-name-probes = Too many attempts: wait a minute.
refused-too-many-pending-logins = Too many logins at once from this address: try again in a moment.
refused-too-many-reads = Too many history requests: slow down.
refused-too-many-messages = Too many messages: slow down.
refused-unfinished-line = Closing: a line was left unfinished.
refused-identify-timeout = Closing: log in or send a message sooner after connecting.
refused-muted-for = You are muted for another { $duration }: your message was not sent.
refused-muted-until-lifted = You are muted until a moderator lifts it: your message was not sent.
refused-join-before-writing = Join { $channel } before writing to it.
refused-channel-gone = { $channel } is gone.
refused-user-offline = User '{ $name }' is not online.
refused-private-to-self = You cannot send a private message to yourself.
refused-private-only-to-teachers = Private messages between pupils are turned off at this school: you may write privately to a teacher, or in the room.
refused-private-closed = Private messages are turned off at this school: write in the room.
refused-leave-default = Everyone stays in { $default }.
refused-not-in-channel = You are not in { $channel }.
refused-join-first = Join { $channel } first.
refused-guests-cannot-create = Guests cannot create channels: join an existing one, or log in.
refused-server-channels-full = The server has its { $max } channels.
refused-only-teachers-create = Only teachers create rooms: join an existing one (/rooms lists them).
refused-own-channels-full = You have created { $count } channels, the most one account may have.
refused-room-private = { $room } is private: a teacher must invite you.
refused-room-moderated = { $room } is moderated: your request was sent to the teachers.
refused-default-room-stays-open = { $default } stays open to everyone.
refused-default-room-stays = { $default } cannot be closed.
refused-no-such-room = No room named { $room }.
refused-not-asked = { $name } has not asked to join { $room }.
refused-command-for-teachers = /{ $word } is for teachers (moderators): nothing was done.
refused-command-for-admins = /{ $word } is for administrators: nothing was done.
refused-command-bounds = /{ $word }: { $problem }.
refused-usage = Usage: { $usage } ({ $problem }).
refused-only-from-chat-client = Only from a chat client: rooms are about a connection.
refused-nobody-unknown = { $name } is neither online nor an account.
refused-nobody-not-online = { $name } is not online.
refused-nobody-no-account = { $name } has no account.
refused-nobody-not-muted = { $name } is not muted.
refused-nobody-not-sanctioned = { $name } is neither banned nor kicked for a time.
refused-not-to-yourself = You cannot do that to yourself.
refused-outranks = { $name } is a { $role }: only an administrator may do that.
refused-empty-notice = The notice is empty.
refused-no-shutdown = No shutdown is under way.
refused-guest-not-member = { $name } is a guest: only accounts are members of a room.

## Notices

notice-muted = A teacher muted you: your messages will not be sent.
notice-muted-for = A teacher muted you for { $duration }: your messages will not be sent.
notice-unmuted = A teacher lifted your mute: you may write again.
notice-invited = You were invited to { $room }: /join { $room } to enter.
notice-request-refused = Your request to join { $room } was refused.
notice-request-refused-because = Your request to join { $room } was refused: { $reason }.
notice-join-request = { $name } asks to join { $room }: /accept { $name } { $room } or /reject { $name } { $room }
notice-room-closed = { $room } was closed: you are back in { $default }.
notice-in-room = You are in { $room }: your messages go there. /leave to come back to { $default }.
notice-kicked = You were disconnected by a teacher.
notice-kicked-because = You were disconnected by a teacher: { $reason }.
notice-kicked-for = You were disconnected by a teacher for { $duration }.
notice-kicked-for-because = You were disconnected by a teacher for { $duration }: { $reason }.
notice-banned-by-teacher = You were banned by a teacher.
notice-banned-by-teacher-because = You were banned by a teacher: { $reason }.
notice-banned-by-admin = You were banned by an administrator.
notice-banned-by-admin-because = You were banned by an administrator: { $reason }.
notice-account-banned = Account banned by an administrator.
notice-account-deleted = Account deleted by an administrator.
notice-replaced = Logged in from another connection.
notice-not-stored = Message not sent: the server could not store it.
notice-countdown = The server stops in { $seconds } s.
notice-countdown-message = The server stops in { $seconds } s. { $message }
notice-countdown-cancelled = Server shutdown cancelled.
notice-stopping = The server is shutting down.

## Answers to commands

answer-help = Commands (//text sends a message that starts with /):
answer-help-line = { $usage } — { $summary }
answer-who = { $count } online:
answer-who-guest = { $name } (guest)
answer-who-role = { $name } ({ $role })
answer-who-more = … and { $count } more
answer-rooms = Rooms (/join #room to enter, /leave to come back):
answer-rooms-line = { $room } ({ $mode }, { $count } in it)
answer-rooms-line-ask = { $room } ({ $mode }, { $count } in it, ask to join)
answer-members-room = { $room } ({ $mode })
answer-members = members: { $list }
answer-members-online = in the room now: { $list }
answer-members-pending = asking to join: { $list }
answer-list-nobody = nobody
answer-list-more = { $list } and { $count } more
answer-in-default-room = You are in { $default }.
answer-left-room = You left { $room }: you are back in { $default }.
answer-kicked = { $name } was kicked.
answer-kicked-for = { $name } was kicked for { $duration }.
answer-kicked-for-guest = { $name } was kicked for { $duration } (a guest: their address).
answer-banned = { $name } is banned (/unban { $name } to lift it).
answer-unbanned = { $name } may come back.
answer-muted = { $name } is muted.
answer-muted-for = { $name } is muted for { $duration }.
answer-unmuted = { $name } may write again.
answer-notice-sent = Notice sent to everyone.
answer-shutdown-in = The server stops in { $seconds } s (/shutdown cancel to stop it).
answer-shutdown-cancelled = Shutdown cancelled.
answer-accepted = { $name } joined { $room }.
answer-rejected = { $name } was told no for { $room }.
answer-invited = { $name } is now a member of { $room }.
answer-room-created = { $room } created ({ $mode }).
answer-room-mode-changed = { $room } is now { $mode }.
answer-room-closed = { $room } closed; its messages stay in the history.

## Words

role-user = user
role-moderator = moderator
role-admin = admin
mode-open = open
mode-moderated = moderated
mode-private = private

## The commands, as /help lists them

usage-help = /help
summary-help = what you may do
usage-who = /who
summary-who = who is online
usage-rooms = /rooms
summary-rooms = the rooms you may join
usage-join = /join #room
summary-join = make a room your current one (or ask to join it)
usage-leave = /leave
summary-leave = go back to the main room
usage-pm = /pm NAME message
summary-pm = a private message
usage-kick = /kick NAME [DURATION] [reason]
summary-kick = disconnect; with a duration (10m, 2h) they cannot come back until it ends
usage-ban = /ban NAME [reason]
summary-ban = disconnect and ban (a guest: their address)
usage-unban = /unban NAME
summary-unban = lift a ban or a timed kick
usage-mute = /mute NAME [DURATION]
summary-mute = refuse their messages (until /unmute without a duration)
usage-unmute = /unmute NAME
summary-unmute = let them speak again
usage-notice = /notice TEXT
summary-notice = an announcement to everyone
usage-accept = /accept NAME #room
summary-accept = accept a request to join a moderated room
usage-reject = /reject NAME #room [reason]
summary-reject = refuse a request to join a moderated room
usage-invite = /invite NAME #room
summary-invite = make someone a member of a room
usage-room = /room create #room open|moderated|private, /room close #room, /room members #room
summary-room = create, close or list a room
usage-shutdown = /shutdown SECONDS [message], /shutdown cancel, /kill [SECONDS]
summary-shutdown = stop the server after a countdown

## Lines the server could not read

line-invalid-json = Invalid JSON (line { $line }, column { $column }).
line-nesting-too-deep = JSON nesting is too deep.
line-not-an-object = Each line must be one JSON object.
line-missing-type = Missing field 'type'.
line-type-not-string = Field 'type' must be a string.
line-unknown-type = Unknown message type '{ $kind }'.
line-invalid-command = Invalid command: { $detail }.
line-private-needs-to = A private message needs a string field 'to'.
line-unknown-subtype = Unknown message subtype '{ $subtype }': use 'global' or 'private'.
line-missing-field = Message '{ $kind }' needs field '{ $field }' ({ $expected }).
line-wrong-type = Field '{ $field }' of message '{ $kind }' must be { $expected }.
expected-string = a string
expected-bool = true or false
expected-integer = a non-negative integer

## What is wrong with a command's arguments

usage-missing-name = missing NAME
usage-missing-room = missing room
usage-missing-text = missing TEXT
usage-missing-seconds = missing SECONDS
usage-missing-message = missing the message
usage-not-a-duration = "{ $text }" is not a duration (write 30s, 10m, 2h or 1d)
usage-zero-duration = the duration must be longer than zero
usage-duration-too-long = the longest duration is { $max }
usage-countdown-too-long = the longest countdown is one day
usage-only-duration-after-name = after NAME, only a duration (such as 10m)
usage-only-name = only a NAME is expected
usage-only-name-and-room = only NAME and #room are expected
usage-bad-mode = the mode is open, moderated or private
usage-nothing-after-mode = nothing is expected after the mode
usage-room-subcommand = create, close or members, then #room

## Durations

duration-only-days = { $n }d
duration-only-hours = { $n }h
duration-only-minutes = { $n }m
duration-only-seconds = { $n }s
duration-part-days = { $n }d
duration-part-hours = { $n }h
duration-part-minutes = { $n }m
duration-part-seconds = { $n }s

## Short answers for legacy clients (one message where one fits)

compact-help = Commands: { $words } (//text sends a message that starts with /).
compact-who = { $count } online: { $list }
compact-rooms = Rooms: { $list } (/join #room to enter, /leave to come back)
compact-rooms-none = Rooms: none.
compact-room = { $room } ({ $mode }, { $count } in it)
compact-room-ask = { $room } ({ $mode }, { $count } in it, ask to join)
compact-members = { $room } ({ $mode }): members: { $members }; in the room now: { $online }; asking to join: { $pending }

# Removing and reporting messages
usage-delete = /delete N [reason]
summary-delete = remove message number N of a room (from the history and the web screens)
usage-purge = /purge NAME [N] [reason]
summary-purge = remove someone's last N messages in rooms (10 without N)
usage-report = /report N [reason], /report NAME [reason]
summary-report = report a message to the teachers (NAME: their last message)
usage-reports = /reports
summary-reports = the latest reports
usage-missing-message-id = missing the message's number
usage-missing-message-or-name = missing the message's number or the person's name
usage-bad-count = the number of messages goes from 1 to { $max }
refused-no-such-message = No message number { $id } here.
refused-nothing-to-report = No message of { $name } to report here.
refused-too-many-reports = You have already sent several reports: the teachers got them. Try again in a few minutes.
notice-reported = Report from { $reporter }: message { $id } of { $sender } in { $room }: "{ $excerpt }" (/delete { $id } to remove it)
notice-reported-because = Report from { $reporter }: message { $id } of { $sender } in { $room }: "{ $excerpt }", reason: { $reason } (/delete { $id } to remove it)
notice-reported-private = Report from { $reporter }: private message { $id } of { $sender }: "{ $excerpt }"
notice-reported-private-because = Report from { $reporter }: private message { $id } of { $sender }: "{ $excerpt }", reason: { $reason }
answer-deleted = Message { $id } of { $name } removed.
answer-purged = { $count ->
    [0] No message of { $name } to remove.
    [one] 1 message of { $name } removed.
   *[other] { $count } messages of { $name } removed.
}
answer-report-sent = Thank you: your report was sent to the teachers.
answer-reports = Latest reports:
answer-reports-none = No report.
answer-reports-private = private message
answer-reports-line = { $id } ({ $at }, { $place }): { $reporter } reports { $sender }: "{ $excerpt }"
answer-reports-line-because = { $id } ({ $at }, { $place }): { $reporter } reports { $sender }: "{ $excerpt }", reason: { $reason }
compact-reports = Reports: { $list }

# Opening hours
refused-session-expired = Your session is over: log in again with your password.
refused-sessions-off = This server keeps no sessions: log in with your password.
refused-session-needs-account = Only accounts keep a session: guests identify again.
refused-private-history-needs-account = Only accounts read their private messages back.
refused-outside-hours = Pupils cannot write outside the school's opening hours.
refused-outside-hours-when = Pupils cannot write outside the school's opening hours: you may write again { $when }.
notice-hours-ended = The school's opening hours are over: pupils may read but no longer write.
notice-hours-ended-when = The school's opening hours are over: pupils may read but no longer write until { $when }.
reopening-today = today at { $time }
reopening-tomorrow = tomorrow at { $time }
reopening-day = on { $day } at { $time }
day-1 = Monday
day-2 = Tuesday
day-3 = Wednesday
day-4 = Thursday
day-5 = Friday
day-6 = Saturday
day-7 = Sunday
