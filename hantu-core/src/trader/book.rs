//! Matching journal orders to broker orders, and turning a broker's cumulative fill count into the
//! one fill the journal lacks.

use crate::broker::BrokerOrder;
use crate::domain::{Fill, InstrumentKind, Market, Order, Price, Qty, Timestamp};
use crate::engine::Instruments;
use crate::krx::FeeModel;

/// The broker order that is `order`: by order number when the journal has one; otherwise (the reply
/// was lost) by our client id when the broker carries it, else the first broker order of the same
/// code, side, shares and type that no other journal order has claimed, in order-number order.
/// Claimed numbers are added to `claimed`.
pub(super) fn claim<'a>(
    order: &Order,
    broker: &'a [BrokerOrder],
    claimed: &mut Vec<String>,
) -> Option<&'a BrokerOrder> {
    if let Some(id) = &order.broker_id {
        return broker.iter().find(|b| &b.broker_id == id);
    }
    let req = &order.request;
    let mut candidates: Vec<&BrokerOrder> = broker
        .iter()
        .filter(|b| {
            b.client_id.as_ref() == Some(&order.client_id)
                || (b.client_id.is_none()
                    && b.code == req.code
                    && b.side == req.side
                    && b.qty == req.qty
                    && b.kind == req.kind
                    && !claimed.contains(&b.broker_id))
        })
        .collect();
    candidates.sort_by(|a, b| {
        let key = |o: &BrokerOrder| (o.broker_id.trim().parse::<u64>().unwrap_or(u64::MAX), o.broker_id.clone());
        key(a).cmp(&key(b))
    });
    let found = candidates.into_iter().next()?;
    claimed.push(found.broker_id.clone());
    Some(found)
}

/// The fill of the shares `bo` reports filled beyond what `order` has booked, priced so the order's
/// booked notional matches the broker's average price; `None` when nothing is new.
///
/// # Errors
/// If the derived price is not a valid price.
pub(super) fn broker_fill(
    order: &Order,
    bo: &BrokerOrder,
    fees: &FeeModel,
    instruments: &Instruments,
    now: Timestamp,
) -> crate::Result<Option<Fill>> {
    let new_qty = bo.filled_qty.get().saturating_sub(order.filled_qty.get());
    if new_qty == 0 {
        return Ok(None);
    }
    let total = bo.avg_price.unwrap_or(0.0) * bo.filled_qty.get() as f64;
    let px = ((total - order.filled_notional as f64) / new_qty as f64).round() as i64;
    let price = Price::new_checked(px)?;
    let qty = Qty::from_shares(new_qty);
    let notional = price.notional(qty);
    let info = instruments.get(bo.code);
    let tax = fees.tax(
        bo.side,
        notional,
        now.kst_date(),
        info.map_or(Market::Kospi, |i| i.market),
        info.map_or(InstrumentKind::Stock, |i| i.kind),
    );
    Ok(Some(Fill {
        client_id: order.client_id.clone(),
        code: bo.code,
        side: bo.side,
        qty,
        price,
        commission: fees.commission(notional),
        tax,
        ts: now,
    }))
}
