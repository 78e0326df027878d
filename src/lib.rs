//! ClassCord: a hardened chat server that legacy ClassCord clients can use unchanged.
//!
//! Layers, each knowing only the one below: listener → gate → transport → session → hub → store.

pub mod admin;
pub mod certs;
pub mod cli;
pub mod config;
pub mod context;
pub mod control;
pub mod gate;
pub mod hub;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod password;
pub mod protocol;
pub mod proxy_header;
pub mod server;
pub mod session;
pub mod store;
pub mod time_format;
pub mod transport;
