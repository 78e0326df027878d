//! Client addresses as every part of the server compares them.

use std::net::IpAddr;

/// Normalises an address: IPv4-mapped IPv6 becomes IPv4 (a dual-stack socket reports an
/// IPv4 client as `::ffff:a.b.c.d`; limits, bans and the allowlist must see one address).
pub(crate) fn normalise(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}
