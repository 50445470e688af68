//! The EMA cascades behind DEMA, TEMA and TRIX: EMAs of one period, each over the one before,
//! computed a block at a time once every level is seeded.
//!
//! Bar by bar, each level waits for its own previous value (a multiply and an add), so the
//! streaming types run at the speed of that chain whatever the other levels do. Here each level
//! runs over a block of bars four at a time (`recurrence.rs`), and the next level over the block
//! the one before wrote, while it is in L1. The warm-up (one SMA seed per level) is the streaming
//! type's own, bar by bar, so the warm-up and the first values are the same bits; after it the
//! values agree with the streaming type to 1e-12 relative.

use super::ema::ema_factors;
use super::recurrence::{self, Powers};

/// Bars a block holds (a multiple of four, so the four-bar steps fall on the same bars whatever
/// the block: 2 KiB a level).
const BLOCK: usize = 256;

/// Runs `L` EMA levels of `period` over `input`, given each level's value on the bar before
/// `input[0]`, and hands every block to `emit(offset, levels)`: `levels[l]` holds level `l`'s
/// values for `input[offset..offset + levels[l].len()]`.
#[inline(always)]
pub(crate) fn blocks<const L: usize>(
    input: &[f64],
    period: usize,
    mut last: [f64; L],
    mut emit: impl FnMut(usize, [&[f64]; L]),
) {
    let (k, a) = ema_factors(period);
    let pw = Powers::new(a);
    let mut levels = [[0.0; BLOCK]; L];
    for (b, chunk) in input.chunks(BLOCK).enumerate() {
        let len = chunk.len();
        for (l, y) in last.iter_mut().enumerate() {
            let (done, rest) = levels.split_at_mut(l);
            let source: &[f64] = match done.last() {
                Some(before) => &before[..len],
                None => chunk,
            };
            *y = recurrence::run(pw, *y, source, &mut rest[0][..len], |x| x * k);
        }
        emit(b * BLOCK, std::array::from_fn(|l| &levels[l][..len]));
    }
}

/// Writes the first `seeded` outputs (fewer for a shorter input) with the streaming type's
/// `next`, which seeds every level as TA-Lib does; returns how many it wrote.
#[inline(always)]
pub(crate) fn warm_up(input: &[f64], out: &mut [f64], seeded: usize, mut next: impl FnMut(f64) -> f64) -> usize {
    let seeded = seeded.min(input.len()).min(out.len());
    for (o, &x) in out[..seeded].iter_mut().zip(&input[..seeded]) {
        *o = next(x);
    }
    seeded
}
