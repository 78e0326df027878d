//! What the chat core asks of the edge when it tells a connection something on its own (a
//! personal notice, why it is closed, a notice to everyone): the core names the notice, the
//! edge's renderer decides the words and the line each dialect gets.

use bytes::Bytes;
use classcord_protocol::server_line::NoticeEvent;
use classcord_protocol::{Dialect, DialectLines};

use crate::vocabulary::Notice;

/// The edge's renderer, as the chat core uses it.
pub(crate) trait Words: Send + Sync {
    /// `notice` as one connection of `dialect` reads it.
    fn notice(&self, dialect: Dialect, notice: &Notice) -> Bytes;
    /// `notice` to everyone identified: one copy per dialect.
    fn everyone(&self, event: NoticeEvent, notice: &Notice) -> DialectLines;
}
