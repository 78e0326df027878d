//! Plain TCP: the legacy clients' transport.

use std::io;

use tokio::net::TcpStream;

use super::Transport;

pub struct Plain;

impl Transport for Plain {
    type Stream = TcpStream;

    fn name(&self) -> &'static str {
        "plain"
    }

    async fn establish(&self, tcp: TcpStream) -> io::Result<TcpStream> {
        Ok(tcp)
    }
}
