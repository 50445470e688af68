//! Who is listed: each stock's code, market, sector, style and starting point.

use crate::domain::{Market, StockCode, ValidationError};

use super::SimConfig;
use super::math;
use super::rng::{Purpose, SimRng};
use super::sectors::SECTORS;

/// Trading days per year, for annualised figures.
const YEAR_DAYS: f64 = 252.0;

/// How a stock's price tends to move beyond the common factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    /// No memory beyond the factors and volatility clustering.
    RandomWalk,
    /// A slowly changing drift: long runs up or down.
    Trending,
    /// Pulled back towards a slowly moving fair value.
    MeanReverting,
}

/// A stock's static attributes, drawn once from its own stream.
#[derive(Clone, Debug)]
pub(super) struct Profile {
    /// Listing market.
    pub market: Market,
    /// Index into [`SECTORS`].
    pub sector: usize,
    /// Price behaviour.
    pub style: Style,
    /// Reference price before the first day (won, not yet on the grid).
    pub start_price: f64,
    /// Listed shares.
    pub shares: u64,
    /// Daily idiosyncratic volatility.
    pub idio_vol: f64,
    /// Loading on the market factor.
    pub beta: f64,
    /// Loading on the sector factor.
    pub sector_loading: f64,
    /// Median daily volume, shares.
    pub base_volume: f64,
    /// Daily probability of a news jump.
    pub jump_prob: f64,
    /// Daily probability of a theme-stock surge to the upper limit.
    pub surge_prob: f64,
    /// Daily probability of a collapse to the lower limit (a failed trial, an audit opinion).
    pub crash_prob: f64,
}

/// The code of the `i`-th generated stock: a permutation of `00001_0..=99999_0` (common
/// stocks end in 0 on KRX), starting at `005930`, so codes never repeat for `i < 99,999`.
///
/// # Errors
/// None in practice: the text is always six digits; the check is [`StockCode`]'s own.
pub(super) fn code_for(i: usize) -> Result<StockCode, ValidationError> {
    // 7,919 is prime and does not divide 99,999 = 3² × 41 × 271, so i ↦ n is a bijection.
    let n = (i as u64 % 99_999 * 7_919 + 592) % 99_999 + 1;
    StockCode::new_checked(&format!("{n:05}0"))
}

/// Draws the profile of the `i`-th stock.
pub(super) fn profile(cfg: &SimConfig, i: usize) -> Profile {
    let mut rng = SimRng::stream(cfg.seed, Purpose::Profile, &[i as u64]);
    let u = rng.uniform();
    let market = if u < cfg.konex_share {
        Market::Konex
    } else if u < cfg.konex_share + cfg.kospi_share {
        Market::Kospi
    } else {
        Market::Kosdaq
    };
    let sector = if market == Market::Kospi {
        rng.weighted(SECTORS.iter().map(|s| s.kospi_weight))
    } else {
        rng.weighted(SECTORS.iter().map(|s| s.kosdaq_weight))
    };
    let sec = &SECTORS[sector];
    let v = rng.uniform();
    let style = if v < cfg.trend_share {
        Style::Trending
    } else if v < cfg.trend_share + cfg.mean_revert_share {
        Style::MeanReverting
    } else {
        Style::RandomWalk
    };
    let (cap_median, vol_mult, turnover, surge) = match market {
        Market::Kospi => (3.0e11, 0.9, 0.003, 0.000_2),
        Market::Kosdaq => (1.0e11, 1.15, 0.005, 0.000_8),
        Market::Konex => (2.0e10, 1.3, 0.000_5, 0.000_3),
    };
    let start_price = rng.log_normal(9_000.0, 1.2).clamp(1_000.0, 500_000.0);
    let cap = rng.log_normal(cap_median, 1.2).clamp(3.0e9, 4.0e14);
    let shares = ((cap / start_price) as u64).max(100_000);
    // Large companies move less on their own news: vol ∝ cap^-0.1.
    let size_mult = math::exp(-0.1 * math::ln(cap / 1.0e11));
    // Trending stocks are quieter, so their drift stands out of the noise.
    let style_mult = if style == Style::Trending { 0.7 } else { 1.0 };
    let annual_vol = sec.vol * vol_mult * size_mult * style_mult * rng.log_normal(1.0, 0.25);
    let base_volume = (shares as f64 * rng.log_normal(turnover, 0.8)).max(2_000.0);
    Profile {
        market,
        sector,
        style,
        start_price,
        shares,
        idio_vol: annual_vol.min(1.5) / YEAR_DAYS.sqrt(),
        beta: sec.beta * rng.range(0.7, 1.3),
        sector_loading: rng.range(0.5, 1.2),
        base_volume,
        jump_prob: cfg.jump_prob * if market == Market::Kospi { 0.7 } else { 1.2 },
        surge_prob: surge,
        crash_prob: surge / 4.0,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_valid_and_start_at_005930() {
        assert_eq!(code_for(0).unwrap().as_str(), "005930");
        let codes: BTreeSet<StockCode> = (0..SimConfig::MAX_STOCKS).map(|i| code_for(i).unwrap()).collect();
        assert_eq!(codes.len(), SimConfig::MAX_STOCKS);
        assert!(codes.iter().all(|c| c.as_str().ends_with('0') && c.as_str().bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn profiles_follow_the_config_shares() {
        let cfg = SimConfig::default();
        let ps: Vec<Profile> = (0..3_000).map(|i| profile(&cfg, i)).collect();
        let share = |m| ps.iter().filter(|p| p.market == m).count() as f64 / ps.len() as f64;
        assert!((share(Market::Kospi) - 0.33).abs() < 0.03);
        assert!(share(Market::Konex) > 0.0 && share(Market::Konex) < 0.03);
        let trending = ps.iter().filter(|p| p.style == Style::Trending).count() as f64 / 3_000.0;
        assert!((trending - 0.2).abs() < 0.03);
        let sectors: BTreeSet<usize> = ps.iter().map(|p| p.sector).collect();
        assert_eq!(sectors.len(), SECTORS.len());
        assert!(ps.iter().all(|p| (1_000.0..=500_000.0).contains(&p.start_price) && p.idio_vol > 0.0));
    }
}
