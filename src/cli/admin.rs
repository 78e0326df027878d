//! `classcord admin`: one request to the running server, its answer printed.

use std::path::Path;

use super::AdminCommand;
use crate::admin::client::AdminClient;
use crate::admin::protocol::{Request, Response};
use crate::chat::NameKind;

impl From<AdminCommand> for Request {
    fn from(command: AdminCommand) -> Request {
        match command {
            AdminCommand::Notice { text } => Request::Notice { text },
            AdminCommand::Kick { user } => Request::Kick { user },
            AdminCommand::Ban { user } => Request::Ban { user },
            AdminCommand::Unban { user } => Request::Unban { user },
            AdminCommand::Users => Request::Users,
            AdminCommand::ReloadTls => Request::ReloadTls,
            AdminCommand::Metrics => Request::Metrics,
        }
    }
}

pub(super) fn run(socket: &Path, command: AdminCommand) -> anyhow::Result<()> {
    let request = Request::from(command);
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
