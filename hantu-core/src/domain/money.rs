//! Money: cash, fees, taxes and P&L as exact decimals.
//!
//! | operation | result |
//! |---|---|
//! | `Money ± Money` | `Money` |
//! | `-Money` | `Money` |
//! | `Money::from_won(i64)` | exact |
//! | `Money × Decimal` then [`Money::floor_won`] | fees and taxes (KRX rounds them down to the won) |

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::ValidationError;

/// An amount of Korean won, exact. Cash, fees, taxes and P&L use this type; floats never do.
///
/// ```
/// use hantu_core::domain::Money;
/// use rust_decimal::Decimal;
/// let fee = Money::from_won(1_000_000).mul_rate(Decimal::new(15, 5)).floor_won();
/// assert_eq!(fee, Money::from_won(150));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Money {
    /// Zero won.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps a decimal amount.
    #[must_use]
    pub const fn new(d: Decimal) -> Self {
        Self(d)
    }

    /// A whole number of won.
    #[inline]
    #[must_use]
    pub fn from_won(won: i64) -> Self {
        Self(Decimal::from(won))
    }

    /// `self + won`, with a fast path for whole-won amounts (the common case: KRX cash is whole
    /// won because fees and taxes are rounded down to the won).
    #[inline]
    #[must_use]
    pub fn add_won(self, won: i64) -> Self {
        if self.0.scale() == 0 {
            if let Some(sum) = i64::try_from(self.0.mantissa()).ok().and_then(|m| m.checked_add(won)) {
                return Self(Decimal::from(sum));
            }
        }
        Self(self.0 + Decimal::from(won))
    }

    /// Converts a float amount (e.g. from Python).
    ///
    /// # Errors
    /// If `v` is NaN or infinite.
    pub fn from_f64(v: f64) -> Result<Self, ValidationError> {
        Decimal::try_from(v).map(Self).map_err(|_| ValidationError::Money { param: "amount", value: v.to_string() })
    }

    /// The decimal value.
    #[must_use]
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// `self × rate`, exact.
    #[must_use]
    pub fn mul_rate(self, rate: Decimal) -> Self {
        Self(self.0 * rate)
    }

    /// Rounds toward negative infinity to a whole won.
    #[must_use]
    pub fn floor_won(self) -> Self {
        Self(self.0.floor())
    }

    /// The amount as a float, for reports and statistics only.
    #[must_use]
    pub fn to_f64(self) -> f64 {
        // Cash and equity are whole won almost always; skip the general conversion then.
        if self.0.scale() == 0 {
            if let Ok(v) = i64::try_from(self.0.mantissa()) {
                return v as f64;
            }
        }
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// The amount truncated to whole won as an integer (saturating).
    #[must_use]
    pub fn to_won(self) -> i64 {
        self.0.trunc().to_i64().unwrap_or(if self.0.is_sign_negative() { i64::MIN } else { i64::MAX })
    }

    /// Whether the amount is below zero.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

impl Add for Money {
    type Output = Money;
    #[inline]
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl Sub for Money {
    type Output = Money;
    #[inline]
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}

impl AddAssign for Money {
    #[inline]
    fn add_assign(&mut self, o: Money) {
        self.0 += o.0;
    }
}

impl SubAssign for Money {
    #[inline]
    fn sub_assign(&mut self, o: Money) {
        self.0 -= o.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "₩{}", self.0.normalize())
    }
}
