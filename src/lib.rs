//! ClassCord: a hardened chat server that legacy ClassCord clients can use unchanged.
//!
//! Data flows one way: listener → gate → transport → session → chat core → store writer
//! (group commit) → chat core fan-out → other sessions. `docs/ARCHITECTURE.md` draws it.
//! The public surface is what the binary and the integration tests need; the rest is
//! `pub(crate)` so the compiler finds dead code.

pub(crate) mod address;
pub mod admin;
pub(crate) mod certs;
pub(crate) mod chat;
pub mod cli;
pub mod config;
pub(crate) mod context;
pub(crate) mod directory;
pub(crate) mod fixed;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod gate;
pub(crate) mod http1;
pub(crate) mod listener;
pub(crate) mod log_throttle;
pub mod logging;
pub(crate) mod memory;
pub(crate) mod metrics;
pub(crate) mod moderation;
pub(crate) mod monitoring;
pub(crate) mod names;
pub(crate) mod opening_hours;
pub(crate) mod password;
pub(crate) mod proxy_header;
pub(crate) mod render;
pub(crate) mod roster;
pub mod server;
pub(crate) mod session;
#[cfg(test)]
pub(crate) mod short_writes;
pub(crate) mod store;
pub(crate) mod texts;
pub(crate) mod time_format;
pub(crate) mod transport;
pub(crate) mod vocabulary;
pub(crate) mod web_client;
pub(crate) mod writable;
