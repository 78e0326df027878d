//! Session tokens: a page that reloads logs in again with one instead of the password. The
//! token is random and shown once; the database keeps only its SHA-256, the account and
//! when it expires. A password change, a ban, the account's deletion and a logout end them.

use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::names::AccountKey;

/// How long an expired token is still known as one (its return is a pupil's old tab, not a
/// failed login); then it is forgotten.
const EXPIRED_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// The most sessions an account keeps at once (devices, tabs): the oldest go first.
const MAX_SESSIONS_PER_ACCOUNT: i64 = 10;

/// The secret a client keeps: 64 hexadecimal digits (256 random bits).
pub(crate) struct SessionToken(String);

impl SessionToken {
    /// A new random token.
    pub(crate) fn generate() -> Result<SessionToken, ring::error::Unspecified> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes)?;
        Ok(SessionToken(
            bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
        ))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

/// What the database keeps of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of what a client sent (any text: an unknown one matches no row).
    pub(crate) fn of(token: &str) -> TokenHash {
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
        TokenHash(hash)
    }
}

/// A change to the sessions table, made by the store's writer.
#[derive(Debug)]
pub(crate) enum SessionWrite {
    Open {
        hash: TokenHash,
        account: AccountKey,
        lifetime_ms: i64,
    },
    Close {
        hash: TokenHash,
    },
    /// Sessions whose time is over since [`EXPIRED_KEPT_MS`].
    Expire,
}

impl SessionWrite {
    pub(super) fn apply(&self, tx: &Transaction<'_>, now: i64) -> rusqlite::Result<()> {
        match self {
            SessionWrite::Open {
                hash,
                account,
                lifetime_ms,
            } => {
                tx.prepare_cached(
                    "INSERT INTO sessions (token_hash, account_key, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    &hash.0[..],
                    account.as_str(),
                    now,
                    now.saturating_add(*lifetime_ms)
                ])?;
                tx.prepare_cached(
                    "DELETE FROM sessions WHERE account_key = ?1 AND token_hash NOT IN
                     (SELECT token_hash FROM sessions WHERE account_key = ?1
                      ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
                )?
                .execute(params![account.as_str(), MAX_SESSIONS_PER_ACCOUNT])?;
            }
            SessionWrite::Close { hash } => {
                tx.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                    .execute([&hash.0[..]])?;
            }
            SessionWrite::Expire => {
                tx.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
                    .execute([now - EXPIRED_KEPT_MS])?;
            }
        }
        Ok(())
    }
}

/// Ends every session of an account (its password changed, it was banned or deleted).
pub(crate) fn close_all(tx: &Transaction<'_>, account: &AccountKey) -> rusqlite::Result<usize> {
    tx.prepare_cached("DELETE FROM sessions WHERE account_key = ?1")?
        .execute([account.as_str()])
}

/// What a token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionLookup {
    /// No such token (never given, or ended).
    Unknown,
    /// The token was given, and its time is over.
    Expired,
    Valid(AccountKey),
}

/// Reads what a token opens, at `now` (milliseconds since the epoch).
pub(crate) fn lookup(
    conn: &Connection,
    hash: TokenHash,
    now: i64,
) -> rusqlite::Result<SessionLookup> {
    let found: Option<(String, i64)> = conn
        .prepare_cached("SELECT account_key, expires_at FROM sessions WHERE token_hash = ?1")?
        .query_row([&hash.0[..]], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match found {
        None => SessionLookup::Unknown,
        Some((_, expires_at)) if expires_at <= now => SessionLookup::Expired,
        Some((account, _)) => SessionLookup::Valid(AccountKey::of(&account)),
    })
}
