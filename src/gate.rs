//! The gate in front of the chat core: the address allowlist, per-address rate limits
//! (connections, messages, authentication attempts) and connection caps.
//!
//! Addresses are normalised first (an IPv4-mapped IPv6 peer counts as its IPv4 address).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

use crate::address::normalise;
use crate::config::GateSection;
use crate::fixed::{FLOOD_COOLDOWN, FLOOD_RECONNECT_COST};
use crate::vocabulary::Refusal;

/// The limiters' clock: tokio's, so that tests on a paused clock see limits release
/// exactly when they should, without waiting in real time. Unpaused, it is the monotonic
/// clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioClock;

impl governor::clock::Clock for TokioClock {
    type Instant = std::time::Instant;

    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

type KeyedLimiter = RateLimiter<
    IpAddr,
    DefaultKeyedStateStore<IpAddr>,
    TokioClock,
    NoOpMiddleware<std::time::Instant>,
>;

/// One connection's own budget (lines, database reads), on the same clock as the gate's
/// limiters.
pub(crate) type ConnectionBudget = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    NoOpMiddleware<std::time::Instant>,
>;
pub(crate) type ReadBudget = ConnectionBudget;
pub(crate) type LineBudget = ConnectionBudget;

pub(crate) fn per_connection_budget(per_second: u32, burst: u32) -> ConnectionBudget {
    RateLimiter::direct_with_clock(
        Quota::per_second(nonzero(per_second)).allow_burst(nonzero(burst)),
        TokioClock,
    )
}

fn keyed(quota: Quota) -> KeyedLimiter {
    RateLimiter::new(quota, DefaultKeyedStateStore::default(), TokioClock)
}

pub(crate) struct Gate {
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
    exempt: Vec<IpNet>,
    max_connections: usize,
    max_connections_per_ip: usize,
    connection_rate: KeyedLimiter,
    message_rate: KeyedLimiter,
    auth_rate: KeyedLimiter,
    open: Mutex<HashMap<IpAddr, usize>>,
    total: AtomicUsize,
    max_pending_logins_per_ip: usize,
    pending_logins: Mutex<HashMap<IpAddr, usize>>,
    /// Addresses a connection was closed from for flooding, with when that stops counting:
    /// their new connections start without a burst, so reconnecting does not renew a flood.
    flooded: Mutex<HashMap<IpAddr, tokio::time::Instant>>,
}

/// Holds one of an address's places among the logins waiting for a password hash.
pub(crate) struct PendingLogin {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for PendingLogin {
    fn drop(&mut self) {
        let mut pending = self
            .gate
            .pending_logins
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = pending.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                pending.remove(&self.ip);
            }
        }
    }
}

/// Counts one open connection until dropped.
pub(crate) struct ConnectionPermit {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.gate.total.fetch_sub(1, Ordering::Relaxed);
        let mut open = self.gate.lock_open();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

fn nonzero(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

impl Gate {
    pub(crate) fn new(config: &GateSection) -> Gate {
        let per_minute =
            |rate: u32, burst: u32| Quota::per_minute(nonzero(rate)).allow_burst(nonzero(burst));
        Gate {
            allow: config.allow.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            exempt: config.exempt.clone(),
            max_connections: config.max_connections,
            max_connections_per_ip: config.max_connections_per_ip,
            connection_rate: keyed(per_minute(
                config.connections_per_ip_per_minute,
                config.connection_burst_per_ip,
            )),
            message_rate: keyed(
                Quota::per_second(nonzero(config.messages_per_ip_per_second))
                    .allow_burst(nonzero(config.message_burst_per_ip)),
            ),
            auth_rate: keyed(per_minute(
                config.auth_attempts_per_ip_per_minute,
                config.auth_burst_per_ip,
            )),
            open: Mutex::new(HashMap::new()),
            total: AtomicUsize::new(0),
            max_pending_logins_per_ip: config.max_pending_logins_per_ip,
            pending_logins: Mutex::new(HashMap::new()),
            flooded: Mutex::new(HashMap::new()),
        }
    }

    fn lock_flooded(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, tokio::time::Instant>> {
        self.flooded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new connection's own line budget (`per_second`, `burst`): empty of its burst when
    /// a connection from the same address was closed for flooding in the last
    /// [`FLOOD_COOLDOWN`], so a flood that reconnects gets the sustained rate only.
    pub(crate) fn line_budget(&self, ip: IpAddr, per_second: u32, burst: u32) -> LineBudget {
        let budget = per_connection_budget(per_second, burst);
        let ip = normalise(ip);
        let flooded = self
            .lock_flooded()
            .get(&ip)
            .is_some_and(|until| *until > tokio::time::Instant::now());
        if flooded {
            for _ in 1..burst {
                let _ = budget.check();
            }
        }
        budget
    }

    /// A connection from `ip` was closed for flooding: for [`FLOOD_COOLDOWN`] its address's
    /// new connections start without a burst, and reconnecting costs the address
    /// [`FLOOD_RECONNECT_COST`] connections of its budget. Its neighbours already connected
    /// are not slowed.
    pub(crate) fn flooded_from(&self, ip: IpAddr) {
        let ip = normalise(ip);
        if self.is_exempt(ip) {
            return;
        }
        self.lock_flooded()
            .insert(ip, tokio::time::Instant::now() + FLOOD_COOLDOWN);
        for _ in 0..FLOOD_RECONNECT_COST {
            let _ = self.connection_rate.check_key(&ip);
        }
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn is_allowed(&self, ip: IpAddr) -> bool {
        let ip = normalise(ip);
        self.allow.iter().any(|net| net.contains(&ip))
    }

    pub(crate) fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = normalise(ip);
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    fn is_exempt(&self, ip: IpAddr) -> bool {
        self.exempt.iter().any(|net| net.contains(&ip))
    }

    /// Full admission of a client address: allowlist, connection rate, then the caps.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionPermit, Refusal> {
        let ip = normalise(ip);
        if !self.is_allowed(ip) {
            return Err(Refusal::NotAllowed);
        }
        let exempt = self.is_exempt(ip);
        if !exempt && self.connection_rate.check_key(&ip).is_err() {
            return Err(Refusal::ConnectionRate);
        }
        let mut open = self.lock_open();
        if self.total.load(Ordering::Relaxed) >= self.max_connections {
            return Err(Refusal::ServerFull);
        }
        let count = open.entry(ip).or_insert(0);
        if !exempt && *count >= self.max_connections_per_ip {
            if *count == 0 {
                open.remove(&ip);
            }
            return Err(Refusal::TooManyFromAddress);
        }
        *count += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(ConnectionPermit {
            gate: Arc::clone(self),
            ip,
        })
    }

    /// One more line from a connection at this address: false when the connection is over
    /// its own budget (the address's is then left untouched) or the address over its cap.
    pub(crate) fn allow_message(&self, connection: &LineBudget, ip: IpAddr) -> bool {
        let ip = normalise(ip);
        self.is_exempt(ip)
            || (connection.check().is_ok() && self.message_rate.check_key(&ip).is_ok())
    }

    /// A place among the address's logins waiting for a password hash, held until dropped;
    /// `None` when the address already has its share waiting.
    pub(crate) fn pending_login(self: &Arc<Self>, ip: IpAddr) -> Option<PendingLogin> {
        let ip = normalise(ip);
        let mut pending = self
            .pending_logins
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let count = pending.entry(ip).or_insert(0);
        if *count >= self.max_pending_logins_per_ip && !self.is_exempt(ip) {
            return None;
        }
        *count += 1;
        Some(PendingLogin {
            gate: Arc::clone(self),
            ip,
        })
    }

    /// One more login or registration from this address: false when over the limit.
    pub(crate) fn allow_auth(&self, ip: IpAddr) -> bool {
        let ip = normalise(ip);
        self.is_exempt(ip) || self.auth_rate.check_key(&ip).is_ok()
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Forgets limiter state of addresses that are back to a full allowance, so memory stays
    /// bounded when many addresses come and go.
    pub(crate) fn shrink(&self) {
        for limiter in [&self.connection_rate, &self.message_rate, &self.auth_rate] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = tokio::time::Instant::now();
        self.lock_flooded().retain(|_, until| *until > now);
    }

    /// How often [`Gate::shrink`] runs.
    pub(crate) const SHRINK_EVERY: Duration = Duration::from_secs(60);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(edit: impl FnOnce(&mut GateSection)) -> Arc<Gate> {
        let mut config = GateSection::default();
        edit(&mut config);
        Arc::new(Gate::new(&config))
    }

    #[test]
    fn allowlist_normalises_mapped_addresses() {
        let gate = gate(|c| c.allow = vec!["192.168.0.0/16".parse().unwrap()]);
        assert!(gate.is_allowed("::ffff:192.168.1.5".parse().unwrap()));
        assert!(!gate.is_allowed("::ffff:8.8.8.8".parse().unwrap()));
        assert!(!gate.is_allowed("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn per_address_cap_is_released_on_drop() {
        let gate = gate(|c| c.max_connections_per_ip = 2);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = gate.admit(ip).unwrap();
        let _b = gate.admit(ip).unwrap();
        assert_eq!(gate.admit(ip).err(), Some(Refusal::TooManyFromAddress));
        assert!(gate.admit("10.0.0.2".parse().unwrap()).is_ok());
        drop(a);
        assert!(gate.admit(ip).is_ok());
    }

    #[test]
    fn exempt_networks_skip_per_address_limits_but_not_the_global_cap() {
        let gate = gate(|c| {
            c.exempt = vec!["127.0.0.0/8".parse().unwrap()];
            c.max_connections_per_ip = 1;
            c.max_connections = 3;
            c.message_burst_per_ip = 1;
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let _held: Vec<_> = (0..3).map(|_| gate.admit(ip).unwrap()).collect();
        assert_eq!(gate.admit(ip).err(), Some(Refusal::ServerFull));
        let connection = per_connection_budget(1000, 1000);
        assert!((0..10).all(|_| gate.allow_message(&connection, ip)));
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(gate.allow_message(&connection, other));
        assert!(!gate.allow_message(&connection, other));
    }

    #[test]
    fn connection_rate_limits_per_address() {
        let gate = gate(|c| {
            c.connections_per_ip_per_minute = 1;
            c.connection_burst_per_ip = 3;
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            drop(gate.admit(ip).unwrap());
        }
        assert_eq!(gate.admit(ip).err(), Some(Refusal::ConnectionRate));
        assert!(gate.admit("10.0.0.9".parse().unwrap()).is_ok());
    }
}
