//! Moving-average crossover.

use crate::domain::{Bar, Side, StockCode};
use crate::engine::CodeMap;
use crate::indicators::Sma;
use crate::strategy::{Context, Strategy};

/// Long while the fast SMA of closes is above the slow one, flat otherwise. On a cross up it
/// buys with `weight` of the buying power at the next open; on a cross down it sells everything.
/// Works on any number of stocks at once (state per stock).
///
/// ```
/// use hantu_core::strategies::SmaCross;
/// assert!(SmaCross::new(10, 30).is_ok());
/// assert!(SmaCross::new(30, 10).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct SmaCross {
    fast: usize,
    slow: usize,
    weight: f64,
    slots: CodeMap<usize>,
    states: Vec<State>,
    /// The last code seen and its slot: bars of one stock often come in runs.
    last: Option<(StockCode, usize)>,
}

#[derive(Debug, Clone)]
struct State {
    fast: Sma,
    slow: Sma,
    above: Option<bool>,
}

impl SmaCross {
    /// Fast and slow periods (`0 < fast < slow`).
    ///
    /// # Errors
    /// [`crate::Error::Config`] if the periods are not `0 < fast < slow`.
    pub fn new(fast: usize, slow: usize) -> crate::Result<Self> {
        if fast == 0 || fast >= slow {
            return Err(crate::Error::config("params.fast", format!("need 0 < fast ({fast}) < slow ({slow})")));
        }
        Ok(Self { fast, slow, weight: 1.0, slots: CodeMap::default(), states: Vec::new(), last: None })
    }

    /// Fraction of buying power per entry, in (0, 1] (default 1: all in).
    ///
    /// # Errors
    /// If `weight` is outside (0, 1].
    pub fn with_weight(mut self, weight: f64) -> crate::Result<Self> {
        self.weight = super::check_weight(weight)?;
        Ok(self)
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        "sma-cross"
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        let slot = match self.last {
            Some((c, i)) if c == bar.code => i,
            _ => {
                let next = self.states.len();
                let i = *self.slots.entry(bar.code).or_insert(next);
                if i == next {
                    self.states.push(State {
                        fast: Sma::new(self.fast).unwrap_or_else(|_| unreachable!("period checked in new")),
                        slow: Sma::new(self.slow).unwrap_or_else(|_| unreachable!("period checked in new")),
                        above: None,
                    });
                }
                self.last = Some((bar.code, i));
                i
            }
        };
        let st = &mut self.states[slot];
        let x = bar.close.as_f64();
        let (f, s) = (st.fast.next(x), st.slow.next(x));
        if s.is_nan() {
            return;
        }
        let above = f > s;
        let crossed = st.above.is_some_and(|prev| prev != above);
        st.above = Some(above);
        if !crossed || ctx.has_open_order(bar.code) {
            return;
        }
        let held = ctx.qty(bar.code);
        if above && held == 0 {
            let qty = super::size(ctx, self.weight, bar.close);
            if qty > 0 {
                let _ = ctx.market(bar.code, Side::Buy, qty);
            }
        } else if !above && held > 0 {
            let _ = ctx.market(bar.code, Side::Sell, held);
        }
    }
}
