//! Prices in whole won, and share quantities.
//!
//! | operation | result |
//! |---|---|
//! | `Price ± Price` | not defined (use [`Price::won`]) |
//! | `Price × Qty` | [`Price::notional`] → `i64` won |
//! | `Price` on the tick grid | [`crate::krx::tick_size`], [`crate::krx::round_to_tick`] |

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A price in whole Korean won (KRX prices have no fractional part). Always positive.
///
/// ```
/// use hantu_core::domain::Price;
/// let p = Price::new_checked(71_500)?;
/// assert_eq!(p.won(), 71_500);
/// assert!(Price::new_checked(0).is_err());
/// assert!(Price::from_f64(f64::NAN).is_err());
/// # Ok::<(), hantu_core::domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Price(i64);

impl Price {
    /// The largest price we accept (far above any KRX price).
    pub const MAX_WON: i64 = 1_000_000_000_000;

    /// Builds a price.
    ///
    /// # Errors
    /// [`ValidationError::Price`] unless `1 <= won <= MAX_WON`.
    #[inline]
    pub fn new_checked(won: i64) -> Result<Self, ValidationError> {
        if won <= 0 || won > Self::MAX_WON {
            return Err(ValidationError::Price { param: "price", value: won.to_string() });
        }
        Ok(Self(won))
    }

    /// Builds a price known to be valid.
    ///
    /// # Panics
    /// If `won` is not positive.
    #[must_use]
    pub fn new(won: i64) -> Self {
        Self::new_checked(won).expect("invalid price")
    }

    /// The valid price nearest to `won` (1 below, [`Price::MAX_WON`] above): for values checked
    /// to be in range already, many at a time, where it is two compares and no error to build.
    ///
    /// ```
    /// use hantu_core::domain::Price;
    /// assert_eq!(Price::saturating(71_500).won(), 71_500);
    /// assert_eq!(Price::saturating(0).won(), 1);
    /// assert_eq!(Price::saturating(i64::MAX), Price::new(Price::MAX_WON));
    /// ```
    #[must_use]
    #[inline]
    pub const fn saturating(won: i64) -> Self {
        Self(if won < 1 {
            1
        } else if won > Self::MAX_WON {
            Self::MAX_WON
        } else {
            won
        })
    }

    /// Converts a float that must hold a whole number of won (e.g. from Python or JSON).
    ///
    /// # Errors
    /// If `v` is NaN, infinite, fractional, or not positive.
    #[inline]
    pub fn from_f64(v: f64) -> Result<Self, ValidationError> {
        // Range first, then wholeness by a round trip through i64 (exact inside the range, and
        // a conversion instruction instead of a call to `trunc`: this runs once per price when
        // a million bars come in from Python).
        if !(v > 0.0 && v <= Self::MAX_WON as f64) || (v as i64) as f64 != v {
            return Err(ValidationError::Price { param: "price", value: v.to_string() });
        }
        Ok(Self(v as i64))
    }

    /// The price in won.
    #[inline]
    #[must_use]
    pub const fn won(self) -> i64 {
        self.0
    }

    /// The price as a float, for numeric kernels.
    #[inline]
    #[must_use]
    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }

    /// `price × qty` in won.
    #[inline]
    #[must_use]
    pub const fn notional(self, qty: Qty) -> i64 {
        self.0 * qty.0 as i64
    }
}

impl TryFrom<i64> for Price {
    type Error = ValidationError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new_checked(v)
    }
}

impl From<Price> for i64 {
    fn from(p: Price) -> i64 {
        p.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "₩{}", self.0)
    }
}

/// A number of shares. Zero is a valid value (a flat position); orders require a positive one.
///
/// ```
/// use hantu_core::domain::Qty;
/// assert_eq!(Qty::new_checked(10)?.get(), 10);
/// assert!(Qty::new_checked(0).is_err());
/// assert!(Qty::new_checked(-5).is_err());
/// # Ok::<(), hantu_core::domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Qty(u64);

impl Qty {
    /// No shares.
    pub const ZERO: Qty = Qty(0);

    /// A positive quantity for an order.
    ///
    /// # Errors
    /// [`ValidationError::Qty`] if `n <= 0`.
    pub fn new_checked(n: i64) -> Result<Self, ValidationError> {
        if n <= 0 {
            return Err(ValidationError::Qty { param: "quantity", value: n });
        }
        Ok(Self(n as u64))
    }

    /// A quantity from a share count (zero allowed).
    #[inline]
    #[must_use]
    pub const fn from_shares(n: u64) -> Self {
        Self(n)
    }

    /// The share count.
    #[inline]
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether this is zero shares.
    #[inline]
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self - other`, floored at zero.
    #[inline]
    #[must_use]
    pub const fn saturating_sub(self, other: Qty) -> Qty {
        Qty(self.0.saturating_sub(other.0))
    }

    /// `self + other`.
    #[inline]
    #[must_use]
    pub const fn add(self, other: Qty) -> Qty {
        Qty(self.0 + other.0)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}sh", self.0)
    }
}
