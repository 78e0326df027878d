//! Password hashing with argon2id (the `argon2` crate's defaults: OWASP's 19 MiB, t=2, p=1)
//! on a small pool of dedicated threads, one per allowed concurrent hash.
//!
//! The threads run in the SCHED_IDLE class: a login storm uses every idle core but always
//! yields to the threads serving chat, and pauses briefly every millisecond of a hash so that
//! chat threads waiting for a core get it (`pauses`). Dedicated threads also keep memory
//! flat: each reuses its own 19 MiB working area instead of spreading it over the runtime's
//! blocking threads.

mod pauses;

use std::sync::{mpsc, Arc, Mutex};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{oneshot, Semaphore};

use pauses::PauseTimer;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing threads have stopped")]
    Stopped,
    #[error("cannot start password hashing threads: {0}")]
    Spawn(std::io::Error),
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and checks passwords off the async threads.
#[derive(Clone)]
pub(crate) struct Passwords {
    /// One permit per hashing thread: waiting happens here, asynchronously.
    permits: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    /// Verified against when the user does not exist, so both cases cost the same.
    decoy_hash: Arc<String>,
    /// Time each hash or check took on its thread.
    hash_seconds: Histogram,
}

impl Passwords {
    pub(crate) async fn new(
        threads: usize,
        hash_seconds: Histogram,
    ) -> Result<Passwords, PasswordError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-{index}"))
                .spawn(move || work(&queue))
                .map_err(PasswordError::Spawn)?;
        }
        let mut passwords = Passwords {
            permits: Arc::new(Semaphore::new(threads.max(1))),
            jobs,
            decoy_hash: Arc::default(),
            hash_seconds,
        };
        passwords.decoy_hash = Arc::new(
            passwords
                .run(|| hash_now("classcord decoy password"))
                .await??,
        );
        Ok(passwords)
    }

    pub(crate) async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move || hash_now(&password)).await?
    }

    /// True when `password` matches `stored`. With no stored hash, a decoy hash is checked
    /// anyway and the answer is false: an unknown user costs the same as a wrong password.
    pub(crate) async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.decoy_hash.as_str().to_owned());
        let matches = self
            .run(move || {
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

    /// Runs `work` on a hashing thread once one is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Stopped)?;
        let (done, result) = oneshot::channel();
        let hash_seconds = self.hash_seconds.clone();
        self.jobs
            .send(Box::new(move || {
                let started = std::time::Instant::now();
                let outcome = work();
                hash_seconds.observe(started.elapsed().as_secs_f64());
                let _ = done.send(outcome);
            }))
            .map_err(|_| PasswordError::Stopped)?;
        result.await.map_err(|_| PasswordError::Stopped)
    }
}

/// A hashing thread: lowers its own priority, then runs jobs, pausing briefly every
/// millisecond of each, until the pool is dropped.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_own_priority();
    let pauses = PauseTimer::for_this_thread()
        .inspect_err(|error| {
            tracing::warn!(%error, "password hashing will not pause for chat threads");
        })
        .ok();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match (job, &pauses) {
            (Ok(job), Some(pauses)) => pauses.pausing(job),
            (Ok(job), None) => job(),
            (Err(_), _) => return,
        }
    }
}

/// Puts the calling thread in the SCHED_IDLE class: it runs only on CPU time that no other
/// thread of the machine wants, so chat traffic always goes first.
fn lower_own_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler on the calling thread (id 0) only changes its scheduling
    // class; a refusal leaves the default class and is harmless.
    let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
    if refused {
        tracing::debug!("password threads keep the default CPU priority");
    }
}

/// Checks that `hash` is an argon2 password hash in the PHC format, as [`hash_now`] writes.
pub(crate) fn check_hash(hash: &str) -> Result<(), PasswordError> {
    let parsed = PasswordHash::new(hash).map_err(|e| PasswordError::Hash(e.to_string()))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err(PasswordError::Hash("not an argon2 hash".into()));
    }
    Ok(())
}

/// Why a new password is refused, or `None`: the same rules for clients and the CLI.
pub(crate) fn password_error(
    password: &str,
    min_chars: usize,
    max_bytes: usize,
) -> Option<crate::vocabulary::PasswordProblem> {
    if password.len() > max_bytes {
        return Some(crate::vocabulary::PasswordProblem::TooLong { max_bytes });
    }
    let min_chars = min_chars.max(1);
    if password.chars().count() < min_chars {
        return Some(crate::vocabulary::PasswordProblem::TooShort { min_chars });
    }
    None
}

/// Hashes synchronously (also used by the admin command line).
pub(crate) fn hash_now(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let passwords = Passwords::new(2, Histogram::new([0.1])).await.unwrap();
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

    /// A hash on a pool thread is interrupted by short sleeps (voluntary context switches);
    /// without the pauses, a thread computing a hash never gives up its core by itself.
    #[tokio::test]
    async fn hashing_threads_pause_while_hashing() {
        let passwords = Passwords::new(1, Histogram::new([0.1])).await.unwrap();
        let (switches, millis, hashed) = passwords
            .run(|| {
                let before = voluntary_switches();
                let started = std::time::Instant::now();
                let hashed = hash_now("secret");
                let millis = started.elapsed().as_millis();
                (voluntary_switches() - before, millis, hashed)
            })
            .await
            .unwrap();
        assert!(hashed.is_ok());
        eprintln!("{switches} pauses in a {millis} ms hash");
        assert!(
            switches >= 5 && u128::from(switches) <= millis + 5,
            "{switches} pauses in a {millis} ms hash"
        );
    }

    fn voluntary_switches() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}
