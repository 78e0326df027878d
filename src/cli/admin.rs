//! `classcord admin`: one request to the running server, its answer printed.

use std::path::Path;

use crate::admin::client::AdminClient;
use crate::admin::protocol::{Request, Response};
use crate::vocabulary::NameKind;
use classcord_protocol::Role;

pub(super) fn run(socket: &Path, request: Request) -> anyhow::Result<()> {
    match AdminClient::connect(socket)?.request(&request)? {
        Response::Metrics { text } => print!("{text}"),
        Response::Users { users } if users.is_empty() => println!("nobody is online"),
        Response::Users { users } => {
            for user in users {
                // Guests, and teachers and admins by their role; students' accounts plain.
                let note = match user.kind {
                    NameKind::Guest => " (guest)".to_owned(),
                    NameKind::Account if user.role == Role::User => String::new(),
                    NameKind::Account => format!(" ({})", user.role.as_str()),
                };
                println!("{} {}{note}", user.name, user.address.ip());
            }
        }
        Response::Said { lines } => {
            for line in lines {
                println!("{line}");
            }
        }
        Response::Log { entries } if entries.is_empty() => println!("no moderation yet"),
        Response::Log { entries } => {
            for entry in entries {
                let mut line = format!("{} {} {}", entry.at, entry.actor, entry.action);
                if let Some(target) = &entry.target {
                    line.push_str(&format!(" {target}"));
                }
                if let Some(secs) = entry.duration_secs {
                    line.push_str(&format!(
                        " for {}",
                        humantime::format_duration(std::time::Duration::from_secs(secs))
                    ));
                }
                if let Some(reason) = &entry.reason {
                    line.push_str(&format!(" ({reason})"));
                }
                if let Some(text) = &entry.removed_text {
                    line.push_str(&format!(" removed text: {text:?}"));
                }
                println!("{line}");
            }
        }
        Response::Reports { reports } if reports.is_empty() => println!("no report yet"),
        Response::Reports { reports } => {
            for report in reports {
                let place = match (&report.channel, &report.recipient) {
                    (Some(room), _) => format!("in {room}"),
                    (None, Some(to)) => format!("privately to {to}"),
                    (None, None) => String::new(),
                };
                let mut line = format!(
                    "{} {} reported message {} of {} {place}: {:?}",
                    crate::time_format::rfc3339_ms(report.at_ms),
                    report.reporter,
                    report.message_id,
                    report.sender,
                    report.content
                );
                if let Some(reason) = &report.reason {
                    line.push_str(&format!(" ({reason})"));
                }
                println!("{line}");
            }
        }
        Response::Status { database, version } => {
            println!(
                "running: classcord {version}, database {}",
                database.display()
            )
        }
        Response::Export { export } => println!("{}", serde_json::to_string_pretty(&export)?),
        Response::Done | Response::Taken { .. } | Response::Refused { .. } => println!("ok"),
    }
    Ok(())
}
