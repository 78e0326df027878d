//! What is wrong with a user name, a channel name or a presence state (rules in
//! `crate::names`), or a new password (rules in the chat core's accounts).

/// Why a user name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameProblem {
    Blank,
    TooLong {
        max_chars: usize,
    },
    Invisible,
    EdgeSpaces,
    Reserved,
    /// Holds a character the server puts around names (a role marker).
    Marker,
}

/// Why a channel name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChannelNameProblem {
    NoHash,
    Length,
    Characters,
}

/// Why a presence state is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateProblem {
    Blank,
    TooLong { max_chars: usize },
    Invisible,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordProblem {
    TooLong { max_bytes: usize },
    TooShort { min_chars: usize },
}
