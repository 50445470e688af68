//! [`PgUrl`]: where the server is, with the password kept out of every printout.

use std::str::FromStr;

use crate::store::StoreError;

/// A PostgreSQL connection string (`postgres://user@host:port/db` or `key=value` form). Its
/// password, if any, never appears in `Debug` or `Display`: both print `user:***@host`.
#[derive(Clone)]
pub struct PgUrl {
    config: ::postgres::Config,
    has_password: bool,
}

impl PgUrl {
    /// Parses a connection string.
    ///
    /// # Errors
    /// [`StoreError::Other`] naming what is malformed (the string itself is not repeated, since
    /// it may hold a password).
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let config = ::postgres::Config::from_str(s)
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL connection string: {e}")))?;
        let has_password = config.get_password().is_some();
        Ok(Self { config, has_password })
    }

    /// Whether the string carried a password.
    #[must_use]
    pub fn has_password(&self) -> bool {
        self.has_password
    }

    /// The same URL with `password` (from the environment, never from a config file).
    #[must_use]
    pub fn with_password(mut self, password: &str) -> Self {
        self.config.password(password);
        self.has_password = true;
        self
    }

    /// The driver's configuration.
    #[must_use]
    pub fn config(&self) -> &::postgres::Config {
        &self.config
    }

    /// The user name, if set.
    #[must_use]
    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("postgres://")?;
        if let Some(user) = self.config.get_user() {
            f.write_str(user)?;
            if self.has_password {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        for (i, host) in self.config.get_hosts().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match host {
                ::postgres::config::Host::Tcp(h) => f.write_str(h)?,
                ::postgres::config::Host::Unix(p) => write!(f, "{}", p.display())?,
            }
            if let Some(port) = self.config.get_ports().get(i) {
                write!(f, ":{port}")?;
            }
        }
        if let Some(db) = self.config.get_dbname() {
            write!(f, "/{db}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

/// Whether `s` names a PostgreSQL server rather than a file.
#[must_use]
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let u = PgUrl::parse("postgres://hantu:s3cr3t-pw@127.0.0.1:5433/trading").unwrap();
        assert!(u.has_password());
        for shown in [u.to_string(), format!("{u:?}"), format!("{:?}", u.config())] {
            assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        }
        assert_eq!(u.to_string(), "postgres://hantu:***@127.0.0.1:5433/trading");
        let bare = PgUrl::parse("postgres://hantu@db.local/trading").unwrap();
        assert!(!bare.has_password());
        assert_eq!(bare.to_string(), "postgres://hantu@db.local:5432/trading");
        let with = bare.with_password("from-env-pw");
        assert!(!format!("{with} {with:?}").contains("from-env-pw"));
        assert_eq!(with.config().get_password(), Some(&b"from-env-pw"[..]));
        assert!(PgUrl::parse("postgres://h:pw@[::1:5432/x").is_err());
        assert!(is_postgres_url("postgresql://x") && !is_postgres_url("sqlite:x.db"));
    }
}
