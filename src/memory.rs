//! Gives memory back to the system after a load peak. glibc keeps what a burst freed in its
//! arenas (measured: 273 of 345 MiB still resident 30 s after 5,000 legacy guests left; and
//! after a join storm, the presence lines' buffers, with every connection still open). Every
//! few seconds the allocator's free memory is read (`mallinfo2`); when at least
//! [`FREED_BEFORE_TRIM`] more has been freed since its lowest point after the last trim, a
//! blocking task asks glibc to return its free pages (`malloc_trim`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often the allocator's free memory is looked at.
const LOOK_EVERY: Duration = Duration::from_secs(2);
/// Memory freed since the last trim (or since free memory was lowest) that makes it worth
/// returning: below this, a trim costs more than it gives.
const FREED_BEFORE_TRIM: usize = 16 * 1024 * 1024;

/// Runs until `stop`.
pub(crate) async fn trim_after_peaks(stop: CancellationToken) {
    let mut ticker = tokio::time::interval(LOOK_EVERY);
    // Free bytes held by the allocator at their lowest since the last trim: what was freed
    // since then is the difference (trimmed pages still count as free chunks).
    let mut lowest_free = usize::MAX;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let Some(free) = allocator_free_bytes() else {
            return;
        };
        lowest_free = lowest_free.min(free);
        if free - lowest_free >= FREED_BEFORE_TRIM {
            let started = std::time::Instant::now();
            let _ = tokio::task::spawn_blocking(trim).await;
            tracing::debug!(took = ?started.elapsed(), freed = free - lowest_free,
                "memory returned to the system");
            lowest_free = allocator_free_bytes().unwrap_or(free);
        }
    }
}

/// Bytes in free chunks of glibc's arenas (resident or not).
#[cfg(target_env = "gnu")]
fn allocator_free_bytes() -> Option<usize> {
    // SAFETY: mallinfo2 only reads the allocator's statistics; it is thread-safe.
    let info = unsafe { libc::mallinfo2() };
    Some(info.fordblks)
}

#[cfg(not(target_env = "gnu"))]
fn allocator_free_bytes() -> Option<usize> {
    None
}

#[cfg(target_env = "gnu")]
fn trim() {
    // SAFETY: malloc_trim only releases free memory of glibc's arenas; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(target_env = "gnu"))]
fn trim() {}
