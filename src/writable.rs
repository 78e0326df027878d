//! The folders a server writes to, found writable before it opens anything; when one is not,
//! the error names the user and group ids the process runs as (a container's UID 10001
//! differs from the host user who made a mounted folder).

use std::path::{Path, PathBuf};

/// A folder this process cannot create files in.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is not writable by uid {uid} gid {gid}, the user this server runs as: give it the folder \
     (for a folder mounted into a container: chown -R {uid}:{gid} on the host): {source}",
    folder.display()
)]
pub(crate) struct NotWritable {
    folder: PathBuf,
    uid: u32,
    gid: u32,
    source: std::io::Error,
}

/// Creates the folder of each file (when missing) and checks a file can be made in it.
/// Errors other than a refused permission are left to the code that opens the file, which
/// says more about them.
pub(crate) fn check_folders<'a>(
    files: impl IntoIterator<Item = &'a Path>,
) -> Result<(), NotWritable> {
    for file in files {
        let Some(folder) = file.parent().filter(|d| !d.as_os_str().is_empty()) else {
            continue;
        };
        let refused = std::fs::create_dir_all(folder).err().or_else(|| {
            let probe = folder.join(format!(".classcord-write-check-{}", std::process::id()));
            let made = std::fs::File::create(&probe);
            let _ = std::fs::remove_file(&probe);
            made.err()
        });
        if let Some(source) = refused.filter(|e| e.kind() == std::io::ErrorKind::PermissionDenied) {
            // SAFETY: getuid and getgid have no preconditions and cannot fail.
            let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
            return Err(NotWritable {
                folder: folder.to_owned(),
                uid,
                gid,
                source,
            });
        }
    }
    Ok(())
}
