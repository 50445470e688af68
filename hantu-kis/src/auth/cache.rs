//! The token cache file: one JSON document, mode 0600, written atomically, so a restart or a
//! second process reuses the token instead of issuing another (every issuance texts the
//! account holder and issuance is limited to once a minute).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::env::Environment;
use crate::error::{KisError, Result};

/// What the cache file holds. The token is a secret: the file is created 0600.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenCacheFile {
    /// Fingerprint of the app key the token belongs to.
    pub key_fingerprint: String,
    /// Environment.
    pub env: Environment,
    /// Base URL the token was issued by (keeps local-server tokens apart from KIS ones).
    pub base_url: String,
    /// The access token.
    pub access_token: String,
    /// Expiry, UTC milliseconds since the epoch.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for TokenCacheFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCacheFile")
            .field("key_fingerprint", &self.key_fingerprint)
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("access_token", &"***")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// `$HOME/.cache/hantu/kis-token-<env>-<fingerprint>.json`, or `None` without a home directory.
#[must_use]
pub fn default_cache_path(env: Environment, key_fingerprint: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("hantu").join(format!("kis-token-{env}-{key_fingerprint}.json")))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KisError + '_ {
    move |source| KisError::Cache { path: path.to_owned(), source }
}

impl TokenCacheFile {
    /// Reads the file; a missing or unreadable-as-JSON file is `None` (it will be rewritten).
    ///
    /// # Errors
    /// [`KisError::Cache`] on I/O errors other than "not found".
    pub fn load(path: &Path) -> Result<Option<Self>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(path)(e)),
        }
    }

    /// Writes the file atomically (temporary file in the same folder, then rename), mode 0600.
    ///
    /// # Errors
    /// [`KisError::Cache`] if the folder or file cannot be written.
    pub fn store(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self).map_err(|e| io_err(path)(std::io::Error::other(e)))?;
        write_private(path, &bytes)
    }

    /// Deletes the file if present.
    ///
    /// # Errors
    /// [`KisError::Cache`] on I/O errors other than "not found".
    pub fn remove(path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(path)(e)),
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename), mode 0600:
/// for files holding secrets.
///
/// # Errors
/// [`KisError::Cache`] if the folder or file cannot be written.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io_err(&tmp))?;
    }
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn cache_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("token.json");
        let entry = TokenCacheFile {
            key_fingerprint: "ab".into(),
            env: Environment::Paper,
            base_url: "http://127.0.0.1:1".into(),
            access_token: "tok-secret".into(),
            expires_at_ms: 42,
        };
        entry.store(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = TokenCacheFile::load(&path).unwrap().unwrap();
        assert_eq!(back.access_token, "tok-secret");
        assert!(!format!("{back:?}").contains("tok-secret"));
        TokenCacheFile::remove(&path).unwrap();
        assert!(TokenCacheFile::load(&path).unwrap().is_none());
    }
}
