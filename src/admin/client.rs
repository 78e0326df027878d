//! The client side of the admin socket, for `classcord admin` and for the account commands
//! of `classcord user` and `import-legacy` when a server runs on their database.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::protocol::{Request, Response};

pub(crate) struct AdminClient {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl AdminClient {
    /// Connects to a running server's admin socket.
    pub(crate) fn connect(socket: &Path) -> anyhow::Result<AdminClient> {
        let stream = UnixStream::connect(socket).with_context(|| {
            format!(
                "cannot reach the server's admin socket {} (is it running?)",
                socket.display()
            )
        })?;
        Ok(AdminClient {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one request and reads its answer; a refusal is an error.
    pub(crate) fn request(&mut self, request: &Request) -> anyhow::Result<Response> {
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        self.writer.write_all(&line)?;
        let mut answer = String::new();
        self.reader.read_line(&mut answer)?;
        anyhow::ensure!(!answer.is_empty(), "the server closed the admin connection");
        match serde_json::from_str(&answer).context("invalid answer from the server")? {
            Response::Refused { error } => anyhow::bail!("{error}"),
            response => Ok(response),
        }
    }
}

/// The server running on `database`, when one answers on `socket`. A server that answers but
/// uses another database is an error: the configuration points at the wrong place.
pub(crate) fn running_server(
    socket: &Path,
    database: &Path,
) -> anyhow::Result<Option<AdminClient>> {
    if socket.as_os_str().is_empty() || UnixStream::connect(socket).is_err() {
        return Ok(None);
    }
    let mut client = AdminClient::connect(socket)?;
    let Response::Status {
        database: served, ..
    } = client.request(&Request::Status)?
    else {
        anyhow::bail!("unexpected answer to a status request");
    };
    if canonical(&served) != canonical(database) {
        anyhow::bail!(
            "the server on {} uses the database {}, not {}: check --config and --database",
            socket.display(),
            served.display(),
            database.display()
        );
    }
    Ok(Some(client))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}
