//! Commands run as root on a state directory that belongs to the service's user would leave
//! files (a database, its journal, keys, logs) that the service can no longer open. They are
//! refused, with the exact command to run instead.

use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Refuses to go on when running as root on `state_dir` owned by another user.
pub(crate) fn refuse_root_on_foreign_state(state_dir: &Path) -> anyhow::Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Ok(());
    }
    let Ok(metadata) = std::fs::metadata(state_dir) else {
        return Ok(());
    };
    let owner = metadata.uid();
    if owner == 0 {
        return Ok(());
    }
    let user = user_name(owner).unwrap_or_else(|| format!("#{owner}"));
    let args: Vec<String> = std::env::args().skip(1).map(|a| shell_quote(&a)).collect();
    anyhow::bail!(
        "{} belongs to {user}: run this command as that user, or the files it creates would lock the server out:\n  runuser -u {user} -- classcord {}",
        state_dir.display(),
        args.join(" ")
    )
}

/// The login name of `uid`, from the system's user database.
fn user_name(uid: libc::uid_t) -> Option<String> {
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to memory owned here and sized as passed; getpwuid_r
    // writes the entry's strings into `buffer`, which outlives their use below.
    let status = unsafe {
        libc::getpwuid_r(
            uid,
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if status != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points to a NUL-terminated string inside `buffer`.
    let name = unsafe { CStr::from_ptr(entry.pw_name) };
    name.to_str().ok().map(str::to_owned)
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
