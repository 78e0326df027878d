//! Short pauses of a password hashing thread while it hashes, so that chat threads waiting
//! for a core get it within a millisecond.
//!
//! Hashing threads run in the SCHED_IDLE class: a chat thread that wakes up takes their core
//! at once. But a chat thread already queued behind another chat thread on one core is moved
//! to the other core only when that core becomes idle (the kernel then pulls waiting work at
//! once) or by the periodic balancing, every few milliseconds; a core running an idle-class
//! thread never becomes idle. Measured on the benchmark machine (BENCHMARKS.md): two
//! idle-class spinners raised the chat p99 of a 200-client fan-out from 3.2 to 6.3 ms, the
//! same spinners pausing every millisecond to 3.8–4.0 ms.
//!
//! While a hash runs, a timer on the monotonic clock (precise; per-thread CPU-time timers
//! follow the scheduler tick, 4 ms here) sends the thread a real-time signal every
//! [`PAUSE_EVERY`]; the handler sleeps [`PAUSE_FOR`], during which the core is idle. The
//! kernel pulls waiting threads to a newly idle core only when its idle periods are worth
//! the balancing's cost: 5 µs pauses changed nothing, 10 µs and 20 µs worked (login storm:
//! chat p99 1.6–1.9× without pauses, 1.1–1.3× with 10 µs, 1.1× with 20 µs; the hashing
//! itself slows by 8 % and 20 %, the price of chat threads getting the core first).

use std::io;
use std::ptr;
use std::sync::OnceLock;
use std::time::Duration;

/// Hashing time between two pauses.
const PAUSE_EVERY: Duration = Duration::from_millis(1);
/// Length of a pause: enough for the core to go idle and take a waiting thread.
const PAUSE_FOR: Duration = Duration::from_micros(20);
/// Timer slack of a hashing thread, so a pause is not stretched to the default 50 µs.
const TIMER_SLACK_NANOS: libc::c_ulong = 1_000;

/// A timer that pauses the thread that created it, armed only while a hash runs.
pub(super) struct PauseTimer {
    timer: libc::timer_t,
}

impl PauseTimer {
    /// A timer for the calling thread, or the reason the system refused one (hashing then
    /// runs without pauses).
    pub(super) fn for_this_thread() -> io::Result<PauseTimer> {
        let signal = pause_signal()?;
        // SAFETY: an all-zero sigevent is valid; the fields the kernel reads are set below.
        let mut event: libc::sigevent = unsafe { std::mem::zeroed() };
        event.sigev_notify = libc::SIGEV_THREAD_ID;
        event.sigev_signo = signal;
        // SAFETY: gettid has no preconditions.
        event.sigev_notify_thread_id = unsafe { libc::gettid() };
        let mut timer: libc::timer_t = ptr::null_mut();
        // SAFETY: both pointers are valid for the call; the timer is deleted in Drop.
        if unsafe { libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: PR_SET_TIMERSLACK only changes the calling thread's timer slack.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, TIMER_SLACK_NANOS) };
        Ok(PauseTimer { timer })
    }

    /// Runs `work` with the pauses on.
    pub(super) fn pausing<T>(&self, work: impl FnOnce() -> T) -> T {
        let _armed = Armed::new(self);
        work()
    }

    fn set_period(&self, period: Duration) {
        let interval = timespec(period);
        let setting = libc::itimerspec {
            it_interval: interval,
            it_value: interval,
        };
        // SAFETY: the timer is alive (owned by self); a zero period disarms it.
        unsafe { libc::timer_settime(self.timer, 0, &setting, ptr::null_mut()) };
    }
}

impl Drop for PauseTimer {
    fn drop(&mut self) {
        // SAFETY: the timer was created by timer_create and is deleted once.
        unsafe { libc::timer_delete(self.timer) };
    }
}

/// The timer armed for as long as it lives (disarmed even if the work panics).
struct Armed<'a>(&'a PauseTimer);

impl<'a> Armed<'a> {
    fn new(timer: &'a PauseTimer) -> Armed<'a> {
        timer.set_period(PAUSE_EVERY);
        Armed(timer)
    }
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        self.0.set_period(Duration::ZERO);
    }
}

/// The real-time signal that pauses a hashing thread, its handler installed on first use.
fn pause_signal() -> io::Result<libc::c_int> {
    static INSTALLED: OnceLock<Result<libc::c_int, i32>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        // The first real-time signal glibc leaves to programs; nothing else here uses it.
        let signal = libc::SIGRTMIN();
        // SAFETY: an all-zero sigaction is valid; handler, flags and mask are set below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = pause_briefly as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: the mask is a valid sigset_t owned by `action`; the handler only calls
        // async-signal-safe functions.
        let refused = unsafe {
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, ptr::null_mut())
        } != 0;
        if refused {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Ok(signal)
        }
    });
    installed.map_err(io::Error::from_raw_os_error)
}

/// The signal handler: sleeps a moment (nanosleep is async-signal-safe), keeping `errno`.
extern "C" fn pause_briefly(_signal: libc::c_int) {
    let pause = timespec(PAUSE_FOR);
    // SAFETY: __errno_location points to the thread's errno; nanosleep reads `pause` only.
    unsafe {
        let errno = *libc::__errno_location();
        libc::nanosleep(&pause, ptr::null_mut());
        *libc::__errno_location() = errno;
    }
}

fn timespec(duration: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: duration.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(duration.subsec_nanos()),
    }
}
