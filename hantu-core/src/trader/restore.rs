//! Start-up reconcile: the journal is brought in line with the broker before anything is traded.
//!
//! The process may have died at any instruction. For every order the journal still has open:
//! - placed on an earlier day: a day order cannot outlive its day, so it ends `expired`;
//! - found at the broker (by order number, or, for a submission whose reply was lost, by the first
//!   broker order of the same code, side, shares and type that no journal order owns — open ones
//!   by their numbers, ended ones through their fills — in order-number order): it
//!   adopts the broker's order number, books the shares the broker filled that the journal lacks,
//!   and takes the broker's final state;
//! - not found at the broker: the submission never reached it (the process died between the journal
//!   write and the call, and nothing is in flight after a restart), so it ends `rejected` with that
//!   reason — **it is never sent again**.
//!
//! Fills are keyed by cumulative shares per order (the broker's order number and its filled
//! quantity): the k-th share of an order is booked once however often it is reported. The journal's
//! own count is the sum of its recorded fills, so a crash between writing a fill and updating its
//! order cannot book the fill twice.

use super::book::{broker_fill, claim};
use crate::broker::BrokerOrder;
use crate::domain::{Order, OrderStatus, Qty, Timestamp};
use crate::engine::Instruments;
use crate::krx::FeeModel;
use crate::store::Store;

/// What the start-up reconcile did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RestoreSummary {
    /// Orders that were open in the journal.
    pub open_in_journal: usize,
    /// Orders whose broker order number was adopted (the reply had been lost).
    pub adopted_numbers: usize,
    /// Fills booked from the broker's answer.
    pub fills_booked: usize,
    /// Orders ended as never sent.
    pub never_sent: usize,
    /// Orders expired as left from an earlier day.
    pub expired: usize,
    /// Orders still working, handed to the engine.
    pub working: Vec<Order>,
    /// Broker order numbers the journal already owns today (none may be claimed by another order).
    pub known_numbers: Vec<String>,
}

/// Brings the journal's open orders in line with `broker_orders` (today's orders at the broker) at
/// `now`. Returns the orders still working.
///
/// # Errors
/// If the store fails or an order's history cannot take the broker's state.
pub fn restore(
    store: &dyn Store,
    broker_orders: &[BrokerOrder],
    fees: &FeeModel,
    instruments: &Instruments,
    now: Timestamp,
) -> crate::Result<RestoreSummary> {
    let mut journal = store.open_orders()?;
    journal.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.client_id.as_str().cmp(b.client_id.as_str())));
    let mut out = RestoreSummary { open_in_journal: journal.len(), ..RestoreSummary::default() };
    let today = now.kst_date();
    // Every number a journal order of today owns — open or ended, filled or not — is taken: an
    // identical order whose reply was lost must not claim a number another order already has (a
    // cancelled twin would hand it the twin's state and leave its own broker order unowned).
    let day_start = Timestamp::kst(today, 0, 0);
    let mut claimed: Vec<String> = journal.iter().filter_map(|o| o.broker_id.clone()).collect();
    claimed.extend(store.orders_since(day_start)?.into_iter().filter_map(|o| o.broker_id));
    for mut order in journal {
        // The journal's filled count is what its fills say.
        let fills = store.fills_for(&order.client_id)?;
        let recorded: u64 = fills.iter().map(|f| f.qty.get()).sum();
        if recorded > order.filled_qty.get() {
            order.filled_qty = Qty::from_shares(recorded);
            order.filled_notional = fills.iter().map(crate::domain::Fill::notional).sum();
            if recorded >= order.request.qty.get() {
                order.status = OrderStatus::Filled;
            } else {
                order.status = OrderStatus::PartiallyFilled;
            }
            order.updated = now;
        }
        if order.created.kst_date() < today && order.status.is_open() {
            order.transition(OrderStatus::Expired, now)?;
            order.reason = Some("day order left from an earlier day".into());
            store.update_order(&order)?;
            out.expired += 1;
            continue;
        }
        let found = claim(&order, broker_orders, &mut claimed);
        let Some(bo) = found else {
            if order.status == OrderStatus::PendingNew {
                order.transition(OrderStatus::Rejected, now)?;
                order.reason = Some("not at the broker after a restart: never sent".into());
                out.never_sent += 1;
            }
            store.update_order(&order)?;
            if order.status.is_open() {
                out.working.push(order);
            }
            continue;
        };
        if order.broker_id.is_none() {
            order.broker_id = Some(bo.broker_id.clone());
            out.adopted_numbers += 1;
        }
        if order.status == OrderStatus::PendingNew {
            order.transition(OrderStatus::Accepted, bo.ts.max(order.created))?;
        }
        if let Some(fill) = broker_fill(&order, bo, fees, instruments, now)? {
            order.apply_fill(fill.qty, fill.price, fill.ts)?;
            store.record_fill(&fill)?;
            out.fills_booked += 1;
        }
        if !bo.status.is_open() && order.status.is_open() && bo.status != OrderStatus::Filled {
            order.transition(bo.status, now)?;
            order.reason = Some(format!("{} at the broker", bo.status.as_str()));
        }
        store.update_order(&order)?;
        if order.status.is_open() {
            out.working.push(order);
        }
    }
    claimed.sort();
    claimed.dedup();
    out.known_numbers = claimed;
    Ok(out)
}
