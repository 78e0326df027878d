//! The process's own figures under their standard names (`process_*`, as every Prometheus
//! client library writes them): memory, CPU time and file descriptors, read at scrape time
//! from the kernel (`/proc/self`, `getrusage`, `getrlimit`).

use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

/// Adds what can be read now; a figure the kernel does not give is left out, not faked.
pub(super) fn register(registry: &mut Registry) {
    if let Some((virtual_bytes, resident_bytes)) = memory() {
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            ConstGauge::new(resident_bytes),
        );
        registry.register(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            ConstGauge::new(virtual_bytes),
        );
    }
    if let Some(open) = open_fds() {
        registry.register(
            "process_open_fds",
            "Open file descriptors (connections, database, logs)",
            ConstGauge::new(open),
        );
    }
    if let Ok((soft, _)) = rlimit::Resource::NOFILE.get() {
        registry.register(
            "process_max_fds",
            "Most file descriptors the process may open",
            ConstGauge::new(i64::try_from(soft).unwrap_or(i64::MAX)),
        );
    }
    registry.register(
        "process_cpu_seconds",
        "User and system CPU time spent, in seconds",
        ConstCounter::new(cpu_seconds()),
    );
}

/// Virtual and resident sizes in bytes, from `/proc/self/statm` (sizes in pages).
fn memory() -> Option<(i64, i64)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut pages = statm.split_ascii_whitespace().map(str::parse::<i64>);
    let (Some(Ok(size)), Some(Ok(resident))) = (pages.next(), pages.next()) else {
        return None;
    };
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = i64::from(i32::try_from(page).ok().filter(|p| *p > 0)?);
    Some((size * page, resident * page))
}

fn open_fds() -> Option<i64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    // The directory being read is itself one of them.
    Some(entries.count() as i64 - 1)
}

fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; on failure it is left zeroed.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let (virtual_bytes, resident_bytes) = memory().expect("statm");
        assert!(resident_bytes > 0 && virtual_bytes >= resident_bytes);
        let file = std::fs::File::open("/proc/self/statm").unwrap();
        let with_one_more = open_fds().unwrap();
        drop(file);
        assert!(with_one_more >= 4, "{with_one_more}");
    }
}
