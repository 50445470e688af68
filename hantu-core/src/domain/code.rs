//! Stock codes and order identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValidationError;

/// A KRX short code: exactly 6 upper-case ASCII letters or digits (`005930`, `0007C0`, `Q52005`).
///
/// `Copy` and 6 bytes wide, so it can sit in every bar and order without allocation.
///
/// ```
/// use hantu_core::domain::StockCode;
/// let code: StockCode = "005930".parse()?;
/// assert_eq!(code.as_str(), "005930");
/// assert!("5930".parse::<StockCode>().is_err());
/// # Ok::<(), hantu_core::domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StockCode([u8; 6]);

impl StockCode {
    /// Builds a code, checking its form.
    ///
    /// # Errors
    /// [`ValidationError::StockCode`] unless `s` is 6 upper-case ASCII alphanumerics.
    pub fn new_checked(s: &str) -> Result<Self, ValidationError> {
        let b = s.as_bytes();
        if b.len() != 6 || !b.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(ValidationError::StockCode(s.to_owned()));
        }
        let mut out = [0u8; 6];
        out.copy_from_slice(b);
        Ok(Self(out))
    }

    /// Builds a code known to be valid.
    ///
    /// # Panics
    /// If `s` is not a valid code; use [`StockCode::new_checked`] for untrusted input.
    #[must_use]
    pub fn new(s: &str) -> Self {
        Self::new_checked(s).expect("invalid stock code")
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??????")
    }

    /// The code packed into an integer (for fast hashing and compact storage).
    #[inline]
    #[must_use]
    pub fn to_u64(self) -> u64 {
        let mut b = [0u8; 8];
        b[..6].copy_from_slice(&self.0);
        u64::from_le_bytes(b)
    }
}

impl std::hash::Hash for StockCode {
    // One integer write: hashing the six bytes one by one costs more than a bar's processing.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.to_u64());
    }
}

impl FromStr for StockCode {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new_checked(s)
    }
}

impl fmt::Display for StockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StockCode({})", self.as_str())
    }
}

impl Serialize for StockCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StockCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::new_checked(&s).map_err(serde::de::Error::custom)
    }
}

/// The engine's identifier for an order, unique within a store (`<run>-<seq>`), sent to the
/// broker where it supports one so that a restart can find the order again instead of re-sending it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Builds an id.
    ///
    /// # Errors
    /// If `s` is empty, longer than 64 bytes, or has characters other than ASCII alphanumerics, `-` and `_`.
    pub fn new_checked(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() || s.len() > 64 || !s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
            return Err(ValidationError::Param {
                param: "client order id",
                reason: format!("{s:?} must be 1-64 ASCII letters, digits, '-' or '_'"),
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// Builds an id from a prefix and a sequence number (`bt-42`).
    #[must_use]
    pub fn from_seq(prefix: &str, seq: u64) -> Self {
        Self(format!("{prefix}-{seq}"))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({})", self.0)
    }
}

impl FromStr for ClientOrderId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new_checked(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_six_upper_alnum_only() {
        for ok in ["005930", "0007C0", "Q52005", "00088K"] {
            assert_eq!(StockCode::new_checked(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "5930", "0059300", "00593a", "00593-", "００５９３０"] {
            assert!(StockCode::new_checked(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn code_serde_round_trip_and_rejects_bad() {
        let c = StockCode::new("005930");
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(j, "\"005930\"");
        assert_eq!(serde_json::from_str::<StockCode>(&j).unwrap(), c);
        assert!(serde_json::from_str::<StockCode>("\"12\"").is_err());
    }

    #[test]
    fn client_ids_are_checked() {
        assert!(ClientOrderId::new_checked("bt-1").is_ok());
        assert!(ClientOrderId::new_checked("").is_err());
        assert!(ClientOrderId::new_checked("a b").is_err());
    }
}
