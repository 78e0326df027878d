//! `classcord admin`: one request to the running server, its answer printed.

use std::path::Path;

use crate::admin::client::AdminClient;
use crate::admin::protocol::{Request, Response};
use crate::chat::NameKind;

pub(super) fn run(socket: &Path, request: Request) -> anyhow::Result<()> {
    match AdminClient::connect(socket)?.request(&request)? {
        Response::Metrics { text } => print!("{text}"),
        Response::Users { users } if users.is_empty() => println!("nobody is online"),
        Response::Users { users } => {
            for user in users {
                let guest = match user.kind {
                    NameKind::Guest => " (guest)",
                    NameKind::Account => "",
                };
                println!("{} {}{guest}", user.name, user.address.ip());
            }
        }
        Response::Done
        | Response::Status { .. }
        | Response::Taken { .. }
        | Response::Refused { .. } => println!("ok"),
    }
    Ok(())
}
