//! Bar feeds: ordering checks and merging several stocks into one time line.

use crate::domain::Bar;

/// Checks that `bars` are in time order with no duplicates: timestamps never go back, and bars
/// sharing a timestamp are in strictly increasing code order.
///
/// Returns the number of distinct trading days.
///
/// # Errors
/// [`crate::Error::Data`] naming the first bar out of order or duplicated.
pub fn validate_order(bars: &[Bar]) -> crate::Result<usize> {
    let mut days = usize::from(!bars.is_empty());
    for (i, w) in bars.windows(2).enumerate() {
        let (a, b) = (&w[0], &w[1]);
        if b.ts < a.ts || (b.ts == a.ts && b.code <= a.code) {
            return Err(order_error(i + 1, a, b));
        }
        days += usize::from(b.ts.kst_day_number() != a.ts.kst_day_number());
    }
    Ok(days)
}

/// The error for bar `i` (`b`) coming after `a` out of order or duplicated.
pub(crate) fn order_error(i: usize, a: &Bar, b: &Bar) -> crate::Error {
    let what = if b.ts == a.ts && b.code == a.code { "duplicated" } else { "out of order" };
    crate::Error::data(
        format!("bars[{i}]"),
        0,
        format!("bar {} at {} is {what} (after {} at {})", b.code, b.ts, a.code, a.ts),
    )
}

/// Merges per-stock series into one time line ordered by (time, code).
///
/// # Errors
/// If a series is itself out of order or has duplicates.
pub fn merge_series<S: AsRef<[Bar]>>(series: &[S]) -> crate::Result<Vec<Bar>> {
    let mut all = Vec::with_capacity(series.iter().map(|s| s.as_ref().len()).sum());
    for s in series {
        let s = s.as_ref();
        for (i, w) in s.windows(2).enumerate() {
            if w[1].ts <= w[0].ts || w[1].code != w[0].code {
                return Err(crate::Error::data(
                    format!("series {}", w[0].code),
                    (i + 2) as u64,
                    format!("bar at {} is out of order or duplicated (after {})", w[1].ts, w[0].ts),
                ));
            }
        }
        all.extend_from_slice(s);
    }
    all.sort_unstable_by_key(|b| (b.ts, b.code));
    Ok(all)
}

/// Checks that `chunk` continues `last` in order (see [`validate_order`]); bars are counted
/// from `offset`. On a bar out of order: its position in `chunk` and the error naming it.
pub(crate) fn check_chunk(last: Option<&Bar>, chunk: &[Bar], offset: usize) -> Result<(), (usize, crate::Error)> {
    let mut prev = last;
    for (k, b) in chunk.iter().enumerate() {
        if let Some(a) = prev {
            if b.ts < a.ts || (b.ts == a.ts && b.code <= a.code) {
                return Err((k, order_error(offset + k, a, b)));
            }
        }
        prev = Some(b);
    }
    Ok(())
}
