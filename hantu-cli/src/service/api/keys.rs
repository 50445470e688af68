//! API keys: who may call the API and what they may do.
//!
//! Keys come only from the environment (`HANTU_API_KEYS`, or `.env`), never from `hantu.toml`, as
//! `name:role:secret` entries separated by commas. The name is what the store records as the author
//! of a control change (`api:<name>`), so a secret never needs to be written anywhere.

use std::fmt;

use subtle::ConstantTimeEq;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every read route and the stream.
    Read,
    /// Everything `Read` may, plus pause, resume, stop and running jobs.
    Control,
}

/// One configured key.
#[derive(Clone)]
pub struct ApiKey {
    /// A name for logs and the store (never the secret).
    pub name: String,
    /// What it may do.
    pub role: Role,
    secret: Vec<u8>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey").field("name", &self.name).field("role", &self.role).field("secret", &"***").finish()
    }
}

/// Shortest secret accepted: short keys are guessable within the rate limit's patience.
pub const MIN_SECRET_LEN: usize = 16;

/// Everything wrong with a `HANTU_API_KEYS` value, listed at once (secrets never shown).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct KeysError(pub Vec<String>);

/// The configured keys.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<ApiKey>,
}

impl KeyRing {
    /// Parses `name:role:secret[,name:role:secret...]`.
    ///
    /// # Errors
    /// [`KeysError`] listing every bad entry (by position and name), a duplicate name or secret, or
    /// an empty list.
    pub fn parse(spec: &str) -> Result<Self, KeysError> {
        let mut problems = Vec::new();
        let mut keys: Vec<ApiKey> = Vec::new();
        for (i, entry) in spec.split(',').map(str::trim).enumerate().filter(|(_, e)| !e.is_empty()) {
            let n = i + 1;
            let mut parts = entry.splitn(3, ':');
            let (Some(name), Some(role), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
                problems.push(format!("entry {n}: expected name:role:key"));
                continue;
            };
            let role = match role {
                "read" => Role::Read,
                "control" => Role::Control,
                other => {
                    problems.push(format!("entry {n} ({name}): role {other:?} must be read or control"));
                    continue;
                }
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                problems.push(format!("entry {n}: name {name:?} must be letters, digits, '-' or '_'"));
                continue;
            }
            if secret.len() < MIN_SECRET_LEN || !secret.bytes().all(|b| b.is_ascii_graphic()) {
                problems.push(format!(
                    "entry {n} ({name}): key must be at least {MIN_SECRET_LEN} visible ASCII characters (value not shown)"
                ));
                continue;
            }
            if keys.iter().any(|k| k.name == name) {
                problems.push(format!("entry {n}: name {name:?} is used twice"));
                continue;
            }
            if keys.iter().any(|k| k.secret == secret.as_bytes()) {
                problems.push(format!("entry {n} ({name}): the same key is given twice"));
                continue;
            }
            keys.push(ApiKey { name: name.to_owned(), role, secret: secret.as_bytes().to_vec() });
        }
        if keys.is_empty() && problems.is_empty() {
            problems.push("no keys: set name:role:key entries".to_owned());
        }
        if problems.is_empty() { Ok(Self { keys }) } else { Err(KeysError(problems)) }
    }

    /// The key matching `presented`, compared in constant time against every configured key (the
    /// loop never exits early, so timing says nothing about which key or how many bytes matched).
    #[must_use]
    pub fn find(&self, presented: &[u8]) -> Option<&ApiKey> {
        let mut found = None;
        for k in &self.keys {
            if bool::from(k.secret.as_slice().ct_eq(presented)) {
                found = Some(k);
            }
        }
        found
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_finds_them_by_secret() {
        let ring = KeyRing::parse("ops:control:0123456789abcdef0123, graf:read:fedcba9876543210fedc").unwrap();
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.find(b"0123456789abcdef0123").map(|k| k.role), Some(Role::Control));
        assert_eq!(ring.find(b"fedcba9876543210fedc").map(|k| k.name.as_str()), Some("graf"));
        assert!(ring.find(b"0123456789abcdef012").is_none());
        assert!(ring.find(b"").is_none());
    }

    #[test]
    fn lists_every_problem_without_showing_secrets() {
        let e = KeyRing::parse("a:admin:0123456789abcdef,b:read:short,nocolons,a:read:0123456789abcdefXX").unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
        let text = e.to_string();
        assert!(text.contains("admin") && text.contains("entry 2 (b)") && text.contains("entry 3"), "{text}");
        assert!(!text.contains("short"), "a secret leaked: {text}");
        assert!(KeyRing::parse("").is_err());
        let ring = KeyRing::parse("x:read:0123456789abcdef").unwrap();
        assert!(!format!("{ring:?}").contains("0123456789abcdef"));
    }
}
