//! Administration. One typed protocol ([`protocol::Request`], [`protocol::Response`]) for
//! the admin socket, used by both ends: the running server's side ([`socket`]) and
//! `classcord admin` / `classcord user` ([`client`]). When no server runs on a database,
//! account commands write the file directly ([`offline`]); when one does, they go through
//! its socket so that its live name registry changes with the database.

pub(crate) mod client;
pub(crate) mod offline;
pub mod protocol;
pub(crate) mod socket;
