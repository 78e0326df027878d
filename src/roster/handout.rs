//! The handout of an import: the new accounts' names and first passwords, by class, as a
//! CSV a spreadsheet opens as it is (`;`, UTF-8 with a byte-order mark, French headers),
//! created with mode 0600 and never over an existing file.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::plan::PlannedAccount;

/// The handout file, created but not yet complete: dropped without [`Handout::finish`], it
/// is removed (the import did not happen).
pub(crate) struct Handout {
    path: PathBuf,
    file: Option<File>,
}

impl Handout {
    /// Creates the file, refusing to replace one.
    pub(crate) fn create(path: &Path) -> std::io::Result<Handout> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AlreadyExists => std::io::Error::new(
                    error.kind(),
                    format!("{} already exists: move it away first", path.display()),
                ),
                _ => std::io::Error::new(
                    error.kind(),
                    format!("cannot create {}: {error}", path.display()),
                ),
            })?;
        Ok(Handout {
            path: path.to_owned(),
            file: Some(file),
        })
    }

    /// Writes every new account with its password, sorted by class then name, and syncs.
    pub(crate) fn write(
        &mut self,
        accounts: &[PlannedAccount],
        passwords: &[String],
    ) -> std::io::Result<()> {
        let file = self.file.as_mut().expect("written once");
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut *file);
        let mut rows: Vec<(&PlannedAccount, &String)> = accounts.iter().zip(passwords).collect();
        rows.sort_by(|a, b| {
            (&a.0.class, &a.0.last_name, &a.0.first_name).cmp(&(
                &b.0.class,
                &b.0.last_name,
                &b.0.first_name,
            ))
        });
        writer.write_record(["classe", "nom", "prénom", "identifiant", "mot_de_passe"])?;
        for (account, password) in rows {
            writer.write_record([
                account.class.as_str(),
                &account.last_name,
                &account.first_name,
                &account.username,
                password,
            ])?;
        }
        writer.flush()?;
        drop(writer);
        file.sync_all()
    }

    /// The import happened: the file stays.
    pub(crate) fn finish(mut self) {
        self.file = None;
    }
}

impl Drop for Handout {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
