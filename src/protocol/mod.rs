//! The server's own rules about the wire protocol (the `classcord-protocol` crate): which
//! user names, channel names and presence states it accepts, and how names compare.

pub(crate) mod names;
