//! App key, app secret and account number: values that never print themselves.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{KisError, Result};

/// Environment variable holding the app key.
pub const ENV_APP_KEY: &str = "HANTU_KIS_APP_KEY";
/// Environment variable holding the app secret.
pub const ENV_APP_SECRET: &str = "HANTU_KIS_APP_SECRET";
/// Environment variable holding the account (`12345678-01` or `1234567801`).
pub const ENV_ACCOUNT: &str = "HANTU_KIS_ACCOUNT";
/// Environment variable selecting `real` or `paper`.
pub const ENV_ENVIRONMENT: &str = "HANTU_KIS_ENV";

/// The names of the environment variables hantu-kis reads, in one place.
#[must_use]
pub const fn env_var_names() -> [&'static str; 4] {
    [ENV_APP_KEY, ENV_APP_SECRET, ENV_ACCOUNT, ENV_ENVIRONMENT]
}

/// A secret string: zeroized on drop, printed as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    /// The secret value; use only to put it on the wire.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An app key and secret for one environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    app_key: Secret,
    app_secret: Secret,
}

impl Credential {
    /// A credential; both parts must be non-empty.
    ///
    /// # Errors
    /// [`KisError::Config`] if either is empty.
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> Result<Self> {
        let (app_key, app_secret) = (Secret::new(app_key), Secret::new(app_secret));
        if app_key.is_empty() || app_secret.is_empty() {
            return Err(KisError::Config("app key and app secret must not be empty".into()));
        }
        Ok(Self { app_key, app_secret })
    }

    /// Reads [`ENV_APP_KEY`] and [`ENV_APP_SECRET`].
    ///
    /// # Errors
    /// [`KisError::Config`] naming the missing variable.
    pub fn from_env() -> Result<Self> {
        let get =
            |k: &str| std::env::var(k).map_err(|_| KisError::Config(format!("environment variable {k} is not set")));
        Self::new(get(ENV_APP_KEY)?, get(ENV_APP_SECRET)?)
    }

    /// The app key (a secret too: it identifies the account holder).
    #[must_use]
    pub fn app_key(&self) -> &Secret {
        &self.app_key
    }

    /// The app secret.
    #[must_use]
    pub fn app_secret(&self) -> &Secret {
        &self.app_secret
    }

    /// A short non-reversible fingerprint of the app key for cache keys and logs.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        fingerprint(self.app_key.expose())
    }
}

/// 16 hex digits identifying `s` (FNV-1a 64; stable across processes and builds).
#[must_use]
pub fn fingerprint(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential").field("app_key", &self.app_key).field("app_secret", &self.app_secret).finish()
    }
}

/// A KIS account: `CANO` (8 digits) + `ACNT_PRDT_CD` (2 digits). Prints masked.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountNo {
    cano: Zeroizing<String>,
    product: String,
}

impl AccountNo {
    /// Parses `12345678-01` or `1234567801`.
    ///
    /// # Errors
    /// [`KisError::Config`] if it is not 8 + 2 digits.
    pub fn parse(s: &str) -> Result<Self> {
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KisError::Config("account must be 8 digits + 2-digit product code (e.g. 12345678-01)".into()));
        }
        Ok(Self { cano: Zeroizing::new(digits[..8].to_owned()), product: digits[8..].to_owned() })
    }

    /// Reads [`ENV_ACCOUNT`].
    ///
    /// # Errors
    /// [`KisError::Config`] if missing or malformed.
    pub fn from_env() -> Result<Self> {
        let s = std::env::var(ENV_ACCOUNT)
            .map_err(|_| KisError::Config(format!("environment variable {ENV_ACCOUNT} is not set")))?;
        Self::parse(&s)
    }

    /// `CANO`, for the wire only.
    #[must_use]
    pub fn cano(&self) -> &str {
        &self.cano
    }

    /// `ACNT_PRDT_CD` (`01` for stock accounts).
    #[must_use]
    pub fn product(&self) -> &str {
        &self.product
    }
}

impl fmt::Debug for AccountNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNo({self})")
    }
}

impl fmt::Display for AccountNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "******{}-{}", &self.cano[6..], self.product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = Credential::new("PSKEYVALUE1234", "SECRETVALUE5678").unwrap();
        let shown = format!("{c:?} {} {}", c.app_key(), c.app_secret());
        assert!(!shown.contains("PSKEYVALUE1234") && !shown.contains("SECRETVALUE5678"), "{shown}");
        let a = AccountNo::parse("50123456-01").unwrap();
        let shown = format!("{a:?} {a}");
        assert!(!shown.contains("50123456"), "{shown}");
        assert_eq!(a.cano(), "50123456");
        assert_eq!(a.product(), "01");
        assert!(AccountNo::parse("1234-01").is_err());
        assert!(Credential::new("", "x").is_err());
    }

    #[test]
    fn fingerprint_is_stable_and_distinct() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("a").len(), 16);
    }
}
