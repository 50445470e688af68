//! Account locks of a SQLite database: an exclusive `flock` on a file next to the database,
//! named by a hash of the account (never the account number). The operating system releases it
//! when the holder closes the file or dies, so a killed trader never leaves a stale lock.

use std::fs::{File, OpenOptions};
use std::path::Path;

use fs4::fs_std::FileExt as _;

use crate::store::{AccountLock, StoreError, account_lock_key};

/// The lock file of `account` for the database at `db`.
fn lock_path(db: &Path, account: &str) -> std::path::PathBuf {
    let name = db.file_name().map_or_else(|| "hantu.db".into(), |n| n.to_string_lossy().into_owned());
    db.with_file_name(format!("{name}.account-{:016x}.lock", account_lock_key(account)))
}

struct Held(File);

impl Drop for Held {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first just makes it immediate.
        let _ = fs4::fs_std::FileExt::unlock(&self.0);
    }
}

pub(super) fn try_lock_account(db: &Path, account: &str) -> Result<Option<AccountLock>, StoreError> {
    let path = lock_path(db, account);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::Other(format!("opening the account lock file {}: {e}", path.display())))?;
    match file.try_lock_exclusive() {
        Ok(true) => Ok(Some(AccountLock::new(Held(file)))),
        Ok(false) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(StoreError::Other(format!("locking {}: {e}", path.display()))),
    }
}
