//! Common factors: one market return per day, one return per sector per day, and the
//! volatility regime they share.
//!
//! The market switches between a calm and a turbulent regime (a two-state Markov chain); the
//! turbulent one is more volatile and drifts down, which gives the series bear phases and
//! volatility clusters. Sectors add their own noise plus a slowly wandering drift, so sector
//! rotation exists for screens to find.

use super::SimConfig;
use super::rng::{Purpose, SimRng};
use super::sectors::SECTORS;

const P_CALM_TO_TURBULENT: f64 = 0.015;
const P_TURBULENT_TO_CALM: f64 = 0.06;
const TURBULENT_VOL_MULT: f64 = 2.2;
const CALM_DRIFT: f64 = 0.000_5;
const TURBULENT_DRIFT: f64 = -0.001_5;
const SECTOR_VOL: f64 = 0.008;
const SECTOR_DRIFT_PERSISTENCE: f64 = 0.99;
const SECTOR_DRIFT_NOISE: f64 = 0.000_08;

/// Daily factor returns, shared by every stock.
#[derive(Clone, Debug)]
pub(super) struct Factors {
    /// Market log return per day.
    pub market: Vec<f64>,
    /// Standard deviation of the market return per day (for scaling intraday ranges).
    pub market_sd: Vec<f64>,
    /// Multiplier on idiosyncratic volatility per day (1 calm, more when turbulent).
    pub regime_mult: Vec<f64>,
    /// Sector log returns, `sector[s][t]`.
    pub sector: Vec<Vec<f64>>,
}

impl Factors {
    /// Draws `days` days of factors.
    pub(super) fn generate(cfg: &SimConfig, days: usize) -> Self {
        let mut rng = SimRng::stream(cfg.seed, Purpose::Factors, &[]);
        let calm_sd = cfg.market_vol / 252f64.sqrt();
        let mut turbulent = false;
        let (mut market, mut market_sd, mut regime_mult) =
            (Vec::with_capacity(days), Vec::with_capacity(days), Vec::with_capacity(days));
        let mut sector = vec![Vec::with_capacity(days); SECTORS.len()];
        let mut drift = vec![0.0; SECTORS.len()];
        for _ in 0..days {
            turbulent = if turbulent { !rng.chance(P_TURBULENT_TO_CALM) } else { rng.chance(P_CALM_TO_TURBULENT) };
            let (sd, mu, mult) = if turbulent {
                (calm_sd * TURBULENT_VOL_MULT, TURBULENT_DRIFT, 1.4)
            } else {
                (calm_sd, CALM_DRIFT, 1.0)
            };
            market.push(mu + sd * rng.normal());
            market_sd.push(sd);
            regime_mult.push(mult);
            let sector_sd = SECTOR_VOL * if turbulent { 1.6 } else { 1.0 };
            for (s, series) in sector.iter_mut().enumerate() {
                drift[s] = SECTOR_DRIFT_PERSISTENCE * drift[s] + SECTOR_DRIFT_NOISE * rng.normal();
                series.push(drift[s] + sector_sd * rng.normal());
            }
        }
        Self { market, market_sd, regime_mult, sector }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_have_plausible_scale_and_regimes() {
        let f = Factors::generate(&SimConfig::default(), 5_000);
        assert_eq!(f.market.len(), 5_000);
        assert!(f.sector.iter().all(|s| s.len() == 5_000));
        let mean_sq = f.market.iter().map(|r| r * r).sum::<f64>() / 5_000.0;
        let annual = (mean_sq * 252.0).sqrt();
        assert!(annual > 0.12 && annual < 0.35, "{annual}");
        let turbulent = f.regime_mult.iter().filter(|m| **m > 1.0).count();
        assert!(turbulent > 500 && turbulent < 2_000, "{turbulent}");
    }
}
