//! Plain TCP: the legacy clients' transport.

use std::io;

use tokio::net::TcpStream;

use super::{Established, ListenerKind, Transport};

pub(crate) struct Plain;

impl Transport for Plain {
    type Stream = TcpStream;

    fn kind(&self) -> ListenerKind {
        ListenerKind::Plain
    }

    async fn establish(&self, tcp: TcpStream) -> io::Result<Established<TcpStream>> {
        Ok(Established::Session(tcp))
    }
}
