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
        let scale = self.0.scale();
        if scale == 0 {
            if let Ok(v) = i64::try_from(self.0.mantissa()) {
                return v as f64;
            }
        } else if scale <= 19
            && let Ok(m) = u64::try_from(self.0.mantissa().unsigned_abs())
        {
            return decimal_to_f64(m, scale, self.0.is_sign_negative());
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

/// `rust_decimal`'s conversion of a decimal with magnitude `m` (below 2^64) and `scale` (1 to
/// 19) to a float, step for step, in 64-bit integers: the same integer quotient and remainder,
/// the same float operations, so the same bits, without its 128-bit division and conversions
/// (a statistics pass converts every day's equity, and those were most of its time).
fn decimal_to_f64(m: u64, scale: u32, negative: bool) -> f64 {
    let precision = 10_u64.pow(scale);
    let (integral, frac) = ((m / precision) as f64, (m % precision) as f64 / precision as f64);
    let value = if frac == 0.0 {
        integral
    } else {
        let round_to = 10f64.powi(scale as i32);
        ((integral + frac) * round_to).round() / round_to
    };
    if negative { -value } else { value }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;

    use super::Money;

    #[test]
    fn to_f64_has_the_bits_of_the_decimal_conversion() {
        // A fixed pseudo-random walk over magnitudes and scales, both signs, and the edges.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = vec![0_u64, 1, 5, 9, 10, 99_999, u64::MAX, u64::MAX - 1, 1 << 53, (1 << 53) + 1];
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
        }
        for (k, &m) in values.iter().enumerate() {
            for scale in 0..=28 {
                for negative in [false, true] {
                    let mut d = Decimal::from_i128_with_scale(i128::from(m), scale);
                    d.set_sign_negative(negative);
                    let want = d.to_f64().unwrap_or(f64::NAN);
                    let got = Money(d).to_f64();
                    assert_eq!(got.to_bits(), want.to_bits(), "value {k}: {m} scale {scale} negative {negative}");
                }
            }
        }
    }
}
