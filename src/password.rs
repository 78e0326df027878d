//! Password hashing with argon2id (the `argon2` crate's defaults: OWASP's 19 MiB, t=2, p=1),
//! run on blocking threads with a cap on how many hashes run at once.

use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(String),
}

/// Hashes and checks passwords off the async threads.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the user does not exist, so both cases cost the same.
    decoy_hash: Arc<String>,
}

impl Passwords {
    pub async fn new(max_concurrent: usize) -> Result<Passwords, PasswordError> {
        let decoy_hash = blocking(|| hash_now("classcord decoy password")).await??;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            decoy_hash: Arc::new(decoy_hash),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordError::Task(e.to_string()))?;
        blocking(move || hash_now(&password)).await?
    }

    /// True when `password` matches `stored`. With no stored hash, a decoy hash is checked
    /// anyway and the answer is false: an unknown user costs the same as a wrong password.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.decoy_hash.as_str().to_owned());
        let matches = blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matches
    }
}

/// Hashes synchronously (also used by the admin command line).
pub fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PasswordError::Task(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let passwords = Passwords::new(2).await.unwrap();
        let hash = passwords.hash("secret".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(passwords.verify("secret".into(), Some(hash.clone())).await);
        assert!(!passwords.verify("wrong".into(), Some(hash)).await);
        assert!(
            !passwords
                .verify("classcord decoy password".into(), None)
                .await
        );
    }
}
