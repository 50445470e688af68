//! Many independent backtests in parallel (one per stock or per parameter set).

use rayon::prelude::*;

use super::{Backtest, BacktestReport};
use crate::domain::Bar;
use crate::strategy::Strategy;

/// One independent run of a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchJob<'a, P> {
    /// The bars of this run, in time order.
    pub bars: &'a [Bar],
    /// Strategy parameters for this run.
    pub params: P,
}

/// Runs every job on all cores; results come back in job order, so a batch is as
/// deterministic as a single run. `make` builds each job's strategy from its parameters.
pub fn run_batch<'a, P, S, F>(
    backtest: &Backtest,
    jobs: &[BatchJob<'a, P>],
    make: F,
) -> Vec<crate::Result<BacktestReport>>
where
    P: Sync,
    S: Strategy,
    F: Fn(&P) -> crate::Result<S> + Sync,
{
    jobs.par_iter()
        .map(|job| {
            let mut s = make(&job.params)?;
            backtest.run(job.bars, &mut s)
        })
        .collect()
}
