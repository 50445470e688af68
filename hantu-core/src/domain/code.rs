//! Stock codes and order identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValidationError;

/// A KRX short code as listed: 6 upper-case ASCII letters or digits (`005930`, `0007C0`), or
/// `Q` and 6 more for an ETN (`Q520057`).
///
/// `Copy` and 8 bytes wide (the text, zero-padded), so it can sit in every bar and order
/// without allocation, and moves as one machine word (7 bytes took two overlapping moves, and
/// reading such a copy back stalled the CPU).
///
/// ```
/// use hantu_core::domain::StockCode;
/// let code: StockCode = "005930".parse()?;
/// assert_eq!(code.as_str(), "005930");
/// let etn: StockCode = "Q520057".parse()?;
/// assert_eq!(etn.as_str(), "Q520057");
/// assert!(etn.is_etn());
/// assert!("5930".parse::<StockCode>().is_err());
/// assert!("A005930".parse::<StockCode>().is_err());
/// # Ok::<(), hantu_core::domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StockCode([u8; 8]);

impl StockCode {
    /// Longest code, in bytes (an ETN's `Q` + 6).
    pub const MAX_LEN: usize = 7;

    /// Builds a code, checking its form.
    ///
    /// # Errors
    /// [`ValidationError::StockCode`] unless `s` is 6 upper-case ASCII alphanumerics, or `Q`
    /// followed by 6 of them.
    pub fn new_checked(s: &str) -> Result<Self, ValidationError> {
        let b = s.as_bytes();
        let body = match b {
            [b'Q', rest @ ..] if rest.len() == 6 => rest,
            _ if b.len() == 6 => b,
            _ => return Err(ValidationError::StockCode(s.to_owned())),
        };
        if !body.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(ValidationError::StockCode(s.to_owned()));
        }
        let mut out = [0u8; 8];
        out[..b.len()].copy_from_slice(b);
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
        let len = if self.0[6] == 0 { 6 } else { 7 };
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0[..len]).unwrap_or("??????")
    }

    /// Whether this is an ETN's code (`Q` + 6): the kind KRX lists under such codes.
    #[must_use]
    pub fn is_etn(&self) -> bool {
        self.0[6] != 0
    }

    /// The code packed into an integer (for fast hashing and compact storage).
    #[inline]
    #[must_use]
    pub fn to_u64(self) -> u64 {
        u64::from_le_bytes(self.0)
    }
}

impl Ord for StockCode {
    // One integer compare (the bytes big-endian, so the order is the text's): compared byte by
    // byte, the maps keyed by code cost a backtest more per bar than its strategy.
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for StockCode {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl StockCode {
    /// The bytes as a big-endian integer: ordered as the codes' texts are.
    #[inline]
    fn sort_key(self) -> u64 {
        u64::from_be_bytes(self.0)
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
///
/// Stored inline (at most [`ClientOrderId::MAX_LEN`] bytes): ids are made and copied for every
/// order and fill, and a heap string each time was most of an order's cost in a backtest.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientOrderId {
    // Bytes first, zero-padded: the derived order is then the order of the text.
    bytes: [u8; Self::MAX_LEN],
    len: u8,
}

impl ClientOrderId {
    /// Longest id, in bytes.
    pub const MAX_LEN: usize = 40;

    /// Builds an id.
    ///
    /// # Errors
    /// If `s` is empty, longer than [`ClientOrderId::MAX_LEN`] bytes, or has characters other than
    /// ASCII alphanumerics, `-` and `_`.
    pub fn new_checked(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty()
            || s.len() > Self::MAX_LEN
            || !s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(ValidationError::Param {
                param: "client order id",
                reason: format!("{s:?} must be 1-{} ASCII letters, digits, '-' or '_'", Self::MAX_LEN),
            });
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Self { bytes, len: s.len() as u8 })
    }

    /// Builds an id from a prefix and a sequence number (`bt-42`), without allocating. A prefix
    /// too long to leave room for the number is cut (engines check theirs up front).
    #[must_use]
    pub fn from_seq(prefix: &str, seq: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut n = seq;
        let mut d = digits.len();
        loop {
            d -= 1;
            digits[d] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = &digits[d..];
        let keep = prefix.len().min(Self::MAX_LEN - 1 - digits.len());
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..keep].copy_from_slice(&prefix.as_bytes()[..keep]);
        bytes[keep] = b'-';
        bytes[keep + 1..keep + 1 + digits.len()].copy_from_slice(digits);
        Self { bytes, len: (keep + 1 + digits.len()) as u8 }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl Serialize for ClientOrderId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClientOrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::new_checked(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({})", self.as_str())
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
    fn codes_order_as_their_texts() {
        let texts =
            ["005930", "0007C0", "Q52005", "Q520057", "Q520056", "00088K", "000880", "ZZZZZZ", "Q00000", "A00000"];
        for a in texts {
            for b in texts {
                let (x, y) = (StockCode::new(a), StockCode::new(b));
                assert_eq!(x.cmp(&y), a.cmp(b), "{a} vs {b}");
                assert_eq!(x == y, a == b);
            }
        }
    }

    #[test]
    fn codes_accept_six_upper_alnum_only() {
        for ok in ["005930", "0007C0", "Q52005", "00088K"] {
            assert_eq!(StockCode::new_checked(ok).unwrap().as_str(), ok);
        }
        for bad in
            ["", "5930", "0059300", "00593a", "00593-", "００５９３０", "A005930", "Q52005x", "Q5200571", "q520057"]
        {
            assert!(StockCode::new_checked(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn etn_codes_are_q_and_six() {
        let etn = StockCode::new("Q520057");
        assert_eq!(etn.as_str(), "Q520057");
        assert!(etn.is_etn() && !StockCode::new("005930").is_etn() && !StockCode::new("Q52005").is_etn());
        assert_eq!(serde_json::from_str::<StockCode>("\"Q520057\"").unwrap(), etn);
        // Ordered as text, and distinct from every six-character code when hashed.
        let mut codes = [StockCode::new("Q520057"), StockCode::new("Q52005"), StockCode::new("005930")];
        codes.sort();
        assert_eq!(codes.map(|c| c.to_string()), ["005930", "Q52005", "Q520057"]);
        assert_ne!(StockCode::new("Q52005").to_u64(), etn.to_u64());
        assert_eq!(crate::domain::InstrumentKind::of_code(etn), crate::domain::InstrumentKind::Etn);
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
    fn client_ids_from_seq_round_trip_and_order_like_text() {
        for (p, n, want) in [("bt", 42, "bt-42"), ("o", 0, "o-0"), ("x", u64::MAX, "x-18446744073709551615")] {
            let id = ClientOrderId::from_seq(p, n);
            assert_eq!(id.as_str(), want);
            assert_eq!(ClientOrderId::new_checked(want).unwrap(), id);
            let j = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<ClientOrderId>(&j).unwrap(), id);
        }
        let long = ClientOrderId::from_seq(&"p".repeat(60), 7);
        assert!(long.as_str().ends_with("-7") && long.as_str().len() <= ClientOrderId::MAX_LEN);
        let (a, b) = (ClientOrderId::new_checked("a").unwrap(), ClientOrderId::new_checked("ab").unwrap());
        assert!(a < b && "a" < "ab");
        assert!(ClientOrderId::new_checked(&"z".repeat(41)).is_err());
    }

    #[test]
    fn client_ids_are_checked() {
        assert!(ClientOrderId::new_checked("bt-1").is_ok());
        assert!(ClientOrderId::new_checked("").is_err());
        assert!(ClientOrderId::new_checked("a b").is_err());
    }
}
