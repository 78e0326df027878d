//! The server's vocabulary: the reasons and outcomes every layer speaks of (why a connection
//! was refused or closed, why a request was refused, what an action did, what a person is
//! told). Plain data, no words: the edge renders them (`crate::texts`). The ground every
//! layer may import; it imports nothing of the server.

mod answer;
mod auth_failure;
mod close;
mod notice;
mod problems;
mod refusal;
mod refused;

pub(crate) use answer::{Answer, NameKind, OnlineUser, ReportListing, RoomListing, RoomMembers};
pub(crate) use auth_failure::AuthFailureReason;
pub(crate) use close::CloseReason;
pub(crate) use notice::{Banner, Notice};
pub(crate) use problems::{ChannelNameProblem, NameProblem, PasswordProblem, StateProblem};
pub(crate) use refusal::Refusal;
pub(crate) use refused::{NobodyIs, Refused, Remaining, Reopening, ReopeningDay};
