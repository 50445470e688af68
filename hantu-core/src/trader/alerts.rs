//! What the trader tells people: fills (exits with their realized P&L), stop-loss and take-profit
//! exits, refused orders, holdings that disagree with the broker, the emergency stop acted on, the
//! day's report, and a trader that fails. Built as [`Notification`]s with their dedup keys and handed
//! to a [`Notifier`] (which queues and never blocks); without one, nothing is sent.
//!
//! Dedup keys come from what is stored (the fill, the order's client id, the control record's time,
//! the date), so a restarted trader acting on the same flag or re-reading the same day does not
//! announce it twice.

use std::sync::Arc;

use super::monitor::ExitReason;
use super::report::DayReport;
use crate::control::{ControlRecord, ControlState};
use crate::domain::{ClientOrderId, Fill, Money, Order, OrderStatus, Portfolio, Price, Side, StockCode, Timestamp};
use crate::notify::{Level, Message, Notification, Notifier};

/// The trader's notifier with what it has already looked at.
#[derive(Default)]
pub(super) struct Alerts {
    notifier: Option<Arc<dyn Notifier>>,
    /// Exits of the guard already looked at.
    exits_seen: usize,
    /// Finished orders of the engine already looked at.
    finished_seen: usize,
}

impl Alerts {
    pub(super) fn new(notifier: Option<Arc<dyn Notifier>>) -> Self {
        Self { notifier, exits_seen: 0, finished_seen: 0 }
    }

    fn send(&self, n: &Notification) {
        if let Some(to) = &self.notifier {
            to.notify(n);
        }
    }

    /// Tells again the fills booked since `since` that no channel has a record of: those a restart's
    /// reconcile booked and those a kill caught still queued. Fills some channel already had are left
    /// to the store's dedup rather than queued again, so a busy day does not flood the queues at
    /// every start. (A kill between two channels' sends leaves the slower channel without that fill.)
    ///
    /// # Errors
    /// If the store fails.
    pub(super) fn retell_fills(&self, store: &dyn crate::store::Store, since: Timestamp) -> crate::Result<usize> {
        if self.notifier.is_none() {
            return Ok(0);
        }
        let told: std::collections::HashSet<String> =
            store.notifications_since(since)?.into_iter().filter_map(|n| n.dedup_key).collect();
        let mut sent = 0;
        for fill in store.fills_since(since)? {
            let key = Message::fill(&fill, None).dedup_key(fill.ts);
            if key.is_some_and(|k| !told.contains(&k)) {
                self.fill(&fill, None);
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// A fill booked; `pnl` is the realized P&L of a sale.
    pub(super) fn fill(&self, fill: &Fill, pnl: Option<Money>) {
        let m = match (fill.side, pnl) {
            (Side::Sell, Some(p)) => Message::exit_fill(fill, None, p),
            _ => Message::fill(fill, None),
        };
        self.send(&Notification::new(fill.ts, m));
    }

    /// The exits the price monitor sent since the last call: a stop (fixed or trailing) or a target
    /// reached, with the return on the position at the price that fired it. Time stops and forced
    /// exits are told by their fills (and the control change that caused them).
    pub(super) fn exits(
        &mut self,
        exits: &[(ClientOrderId, ExitReason)],
        pf: &Portfolio,
        last: impl Fn(StockCode) -> Option<Price>,
        open: &[Order],
        now: Timestamp,
    ) {
        let fresh = exits.get(self.exits_seen..).unwrap_or_default();
        self.exits_seen = exits.len();
        for (id, reason) in fresh {
            let Some(order) = open.iter().find(|o| o.client_id == *id) else { continue };
            let code = order.request.code;
            let Some(pos) = pf.position(code) else { continue };
            let price = last(code).unwrap_or(pos.last_price);
            let return_pct =
                pos.avg_cost().map(|c| c.to_f64()).filter(|c| *c > 0.0).map_or(0.0, |c| price.won() as f64 / c - 1.0);
            let qty = order.request.qty;
            let m = match reason {
                ExitReason::StopLoss | ExitReason::Trailing => {
                    Message::StopLoss { code, name: None, qty, price, return_pct }
                }
                ExitReason::TakeProfit => Message::TargetHit { code, name: None, qty, price, return_pct },
                ExitReason::TimeStop | ExitReason::Forced => continue,
            };
            // Keyed by the exit order: a second stop on the same stock the same day is news too.
            let key = format!("exit:{id}");
            self.send(&Notification::new(now, m).with_key(Some(key)));
        }
    }

    /// Orders that ended refused (by the broker, by risk, or resolved as never received) since the
    /// last call.
    pub(super) fn rejections(&mut self, finished: &[Order]) {
        let fresh = finished.get(self.finished_seen..).unwrap_or_default();
        self.finished_seen = finished.len();
        for o in fresh.iter().filter(|o| o.status == OrderStatus::Rejected) {
            self.send(&Notification::new(o.updated, Message::order_rejected(o, None)));
        }
    }

    /// The books disagree with the broker (shares sold elsewhere, a fill the journal cannot hold).
    pub(super) fn discrepancy(&self, code: StockCode, detail: &str, now: Timestamp) {
        let n = Notification::text(
            now,
            Level::Warning,
            format!("Trader: holdings of {code} disagree with the broker"),
            format!("{detail}; the broker's account is adopted at the next reconcile"),
        );
        self.send(&n.with_key(Some(format!("discrepancy:{code}:{}", now.kst_date()))));
    }

    /// The emergency-stop flag acted on: pause, stop and flatten set it; running again clears it.
    /// Keyed by the flag's own time, so a restart that acts on the same flag again stays silent.
    pub(super) fn control(&self, rec: &ControlRecord) {
        let set = rec.state != ControlState::Running;
        let what = match rec.state {
            ControlState::Running => "resume",
            ControlState::Paused => "pause: no new entries, exits still work",
            ControlState::Stop { flatten: false } => "stop",
            ControlState::Stop { flatten: true } => "stop and flatten: cancel everything, sell everything",
        };
        let reason = Some(match &rec.reason {
            Some(r) => format!("{what} ({r})"),
            None => what.to_owned(),
        });
        let m = Message::EmergencyStop { set, by: rec.by.clone(), reason };
        let key = format!("control:{}:{}", rec.state.as_str(), rec.at.millis());
        self.send(&Notification::new(rec.at, m).with_key(Some(key)));
    }

    /// The end-of-day report.
    pub(super) fn report(&self, rep: &DayReport, pf: &Portfolio, now: Timestamp) {
        let (wins, losses) = round_trips(rep);
        let start = rep.start_equity.to_f64();
        let m = Message::DailyReport {
            date: rep.date,
            equity: rep.end_equity,
            cash: pf.cash(),
            pnl: rep.pnl,
            return_pct: (start > 0.0).then(|| rep.pnl.to_f64() / start),
            fills: u32::try_from(rep.fills.len()).unwrap_or(u32::MAX),
            wins,
            losses,
            positions: u32::try_from(pf.positions().filter(|p| !p.qty.is_zero()).count()).unwrap_or(u32::MAX),
        };
        self.send(&Notification::new(now, m));
    }

    /// The trader failed and stopped.
    pub(super) fn failed(&self, error: &str, now: Timestamp) {
        let m = Message::ServiceDown { service: "trader".into(), error: error.to_owned() };
        self.send(&Notification::new(now, m));
    }
}

/// Sales of the day that gained and lost, each against the average cost of that day's buys of the
/// stock before it (sales of shares bought on earlier days are not counted: their cost is not in
/// the day's fills).
fn round_trips(rep: &DayReport) -> (u32, u32) {
    use std::collections::BTreeMap;
    let mut book: BTreeMap<StockCode, (u64, Money)> = BTreeMap::new();
    let (mut wins, mut losses) = (0, 0);
    for f in &rep.fills {
        let (qty, cost) = book.entry(f.code).or_insert((0, Money::ZERO));
        match f.side {
            Side::Buy => {
                *qty += f.qty;
                *cost += Money::from_won(f.price.won().saturating_mul(i64::try_from(f.qty).unwrap_or(i64::MAX)))
                    + f.commission
                    + f.tax;
            }
            Side::Sell if *qty > 0 => {
                let sold = f.qty.min(*qty);
                let basis =
                    Money::new(cost.get() * rust_decimal::Decimal::from(sold) / rust_decimal::Decimal::from(*qty));
                let proceeds = Money::from_won(f.price.won().saturating_mul(i64::try_from(sold).unwrap_or(i64::MAX)))
                    - f.commission
                    - f.tax;
                if proceeds > basis {
                    wins += 1;
                } else {
                    losses += 1;
                }
                *qty -= sold;
                *cost -= basis;
            }
            Side::Sell => {}
        }
    }
    (wins, losses)
}
