//! Fundamentals consistent with each stock's last close: book value and ROE are drawn per
//! sector, then PER, PBR and market cap follow from the price. Loss-makers get a negative PER;
//! a few figures are missing (more on KONEX), as in real screens.

use chrono::NaiveDate;

use crate::domain::{Fundamentals, Market, StockCode};

use super::rng::{Purpose, SimRng};
use super::sectors::SECTORS;
use super::universe::Profile;

/// Rounds to two decimals, as KRX publishes ratios.
fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Fundamentals of stock `index` as of `as_of`, when it closed at `close` won.
pub(super) fn fundamentals(
    seed: u64,
    index: usize,
    code: StockCode,
    p: &Profile,
    as_of: NaiveDate,
    close: i64,
) -> Fundamentals {
    let mut rng = SimRng::stream(seed, Purpose::Fundamentals, &[index as u64]);
    let sec = &SECTORS[p.sector];
    let price = close as f64;
    let pbr = rng.log_normal(sec.pbr, 0.5);
    let bps = (price / pbr).round().max(1.0);
    let roe = sec.roe + 9.0 * rng.normal();
    let eps = (bps * roe / 100.0).round();
    let debt = rng.log_normal(sec.debt, 0.6);
    let missing = if p.market == Market::Konex { 0.25 } else { 0.03 };
    let mut keep = |v: f64| if rng.chance(missing) { None } else { Some(v) };
    let eps = if eps == 0.0 { None } else { keep(eps) };
    let bps = keep(bps);
    Fundamentals {
        code,
        as_of,
        per: eps.map(|e| cents(price / e)),
        pbr: bps.map(|b| cents(price / b)),
        eps,
        bps,
        roe_pct: keep(cents(roe)),
        debt_ratio_pct: keep(cents(debt)),
        market_cap: Some(close.saturating_mul(p.shares as i64)),
        listed_shares: Some(p.shares),
    }
}
