//! Built-in strategies, written as examples to copy.
//!
//! | strategy | idea |
//! |---|---|
//! | [`SmaCross`] | long when the fast SMA is above the slow one |
//! | [`RsiReversion`] | buy oversold dips in an uptrend, sell when overbought |
//! | [`Grid`] | a ladder of limit buys below and sells above a centre price |
//!
//! [`by_name`] builds one from a name and `key=value` parameters (the CLI's `--strategy` and
//! `--param`, Python's `strategy=` and `params=`).

mod grid;
mod picks;
mod rsi_reversion;
mod sma_cross;

pub use grid::Grid;
pub use picks::{PicksConfig, PicksStrategy};
pub use rsi_reversion::RsiReversion;
pub use sma_cross::SmaCross;

use std::collections::BTreeMap;

use crate::strategy::Strategy;

/// Names accepted by [`by_name`].
pub const NAMES: [&str; 3] = ["sma-cross", "rsi-reversion", "grid"];

/// Parameters as `key → value`.
pub type Params = BTreeMap<String, f64>;

/// Reads an optional parameter, checking it is a whole number when `integer`.
pub(crate) fn param(params: &Params, key: &str, default: f64, integer: bool) -> crate::Result<f64> {
    let v = params.get(key).copied().unwrap_or(default);
    if !v.is_finite() || (integer && (v.fract() != 0.0 || v < 0.0)) {
        return Err(crate::Error::config(format!("params.{key}"), format!("{v} is not a valid value")));
    }
    Ok(v)
}

/// Builds a built-in strategy.
///
/// ```
/// use hantu_core::strategies::{by_name, Params};
/// let p: Params = [("fast".to_string(), 5.0), ("slow".to_string(), 20.0)].into();
/// let s = by_name("sma-cross", &p)?;
/// assert_eq!(s.name(), "sma-cross");
/// assert!(by_name("nope", &p).is_err());
/// # Ok::<(), hantu_core::Error>(())
/// ```
///
/// # Errors
/// An unknown name, an unknown parameter, or a bad value, naming it.
pub fn by_name(name: &str, params: &Params) -> crate::Result<Box<dyn Strategy + Send>> {
    let known: &[&str] = match name {
        "sma-cross" => &["fast", "slow", "weight"],
        "rsi-reversion" => &["period", "oversold", "overbought", "trend", "weight"],
        "grid" => &["levels", "step_pct", "lot"],
        _ => {
            return Err(crate::Error::config(
                "strategy",
                format!("unknown strategy {name:?}; known: {}", NAMES.join(", ")),
            ));
        }
    };
    if let Some(k) = params.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(crate::Error::config(
            format!("params.{k}"),
            format!("unknown parameter for {name}; known: {}", known.join(", ")),
        ));
    }
    Ok(match name {
        "sma-cross" => Box::new(
            SmaCross::new(param(params, "fast", 10.0, true)? as usize, param(params, "slow", 30.0, true)? as usize)?
                .with_weight(param(params, "weight", 1.0, false)?)?,
        ),
        "rsi-reversion" => Box::new(
            RsiReversion::new(
                param(params, "period", 2.0, true)? as usize,
                param(params, "oversold", 10.0, false)?,
                param(params, "overbought", 90.0, false)?,
                param(params, "trend", 200.0, true)? as usize,
            )?
            .with_weight(param(params, "weight", 1.0, false)?)?,
        ),
        _ => Box::new(Grid::new(
            param(params, "levels", 5.0, true)? as usize,
            param(params, "step_pct", 2.0, false)?,
            param(params, "lot", 10.0, true)? as u64,
        )?),
    })
}

/// Commission headroom when sizing (the default 0.015%); the venue caps a buy by cash anyway.
const COMMISSION_HEADROOM: f64 = 0.000_15;

/// Shares of `price` that `weight` of the buying power buys, after commission.
pub(crate) fn size(ctx: &crate::strategy::Context<'_>, weight: f64, price: crate::domain::Price) -> u64 {
    let budget = ctx.buying_power().to_f64() * weight / (1.0 + COMMISSION_HEADROOM);
    if budget <= 0.0 { 0 } else { (budget / price.as_f64()).floor() as u64 }
}

/// Checks a weight in (0, 1].
pub(crate) fn check_weight(weight: f64) -> crate::Result<f64> {
    if weight > 0.0 && weight <= 1.0 {
        Ok(weight)
    } else {
        Err(crate::Error::config("params.weight", format!("{weight} must be in (0, 1]")))
    }
}
