//! The order journal: orders, their state history, fills and position snapshots.

use ::postgres::{Row, Transaction};

use super::codec::{big, client_id, code, get, instant, money, num, price, price_opt, qty, ts};
use super::map_err;
use crate::domain::{
    ClientOrderId, Fill, Order, OrderKind, OrderRequest, OrderStatus, Position, Side, TimeInForce, Timestamp,
};
use crate::store::StoreError;

const ORDER_COLS: &str = "client_id, broker_id, code, side, qty, limit_price, tif, status, filled_qty, filled_notional, created, updated, reason";

fn tif_str(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "day",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

fn unknown(table: &'static str, what: &str, value: &str) -> StoreError {
    StoreError::Decode { table, message: format!("unknown {what} {value:?}") }
}

fn side_parse(table: &'static str, s: &str) -> Result<Side, StoreError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(unknown(table, "side", s)),
    }
}

fn status_parse(table: &'static str, s: &str) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(s).map_err(|_| unknown(table, "status", s))
}

fn order_from_row(r: &Row) -> Result<Order, StoreError> {
    const T: &str = "orders";
    let tif: &str = get(r, 6, T)?;
    let request = OrderRequest {
        code: code(r, 2, T)?,
        side: side_parse(T, get(r, 3, T)?)?,
        qty: qty(r, 4, T)?,
        kind: price_opt(r, 5, T)?.map_or(OrderKind::Market, OrderKind::Limit),
        tif: match tif {
            "day" => TimeInForce::Day,
            "ioc" => TimeInForce::Ioc,
            "fok" => TimeInForce::Fok,
            _ => return Err(unknown(T, "time in force", tif)),
        },
    };
    Ok(Order {
        client_id: client_id(r, 0, T)?,
        broker_id: get(r, 1, T)?,
        request,
        status: status_parse(T, get(r, 7, T)?)?,
        filled_qty: qty(r, 8, T)?,
        filled_notional: get(r, 9, T)?,
        created: instant(r, 10, T)?,
        updated: instant(r, 11, T)?,
        reason: get(r, 12, T)?,
    })
}

fn append_event(t: &mut Transaction<'_>, o: &Order) -> Result<(), StoreError> {
    t.execute(
        "INSERT INTO order_events (client_id, ts, status, broker_id, filled_qty, filled_notional, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &o.client_id.as_str(),
            &ts(o.updated)?,
            &o.status.as_str(),
            &o.broker_id,
            &big(o.filled_qty.get(), "filled qty")?,
            &o.filled_notional,
            &o.reason,
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn journal_order(t: &mut Transaction<'_>, o: &Order) -> Result<(), StoreError> {
    let r = &o.request;
    let sql =
        format!("INSERT INTO orders ({ORDER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
    t.execute(
        &sql,
        &[
            &o.client_id.as_str(),
            &o.broker_id,
            &r.code.as_str(),
            &r.side.as_str(),
            &big(r.qty.get(), "qty")?,
            &r.kind.limit_price().map(|p| p.won()),
            &tif_str(r.tif),
            &o.status.as_str(),
            &big(o.filled_qty.get(), "filled qty")?,
            &o.filled_notional,
            &ts(o.created)?,
            &ts(o.updated)?,
            &o.reason,
        ],
    )
    .map_err(|e| match map_err(e) {
        StoreError::Constraint(m) if m.contains("orders_pkey") => {
            StoreError::Constraint(format!("order {} already journaled", o.client_id))
        }
        other => other,
    })?;
    append_event(t, o)
}

pub(super) fn update_order(t: &mut Transaction<'_>, o: &Order) -> Result<(), StoreError> {
    let changed = t
        .execute(
            "UPDATE orders SET broker_id = $2, status = $3, filled_qty = $4, filled_notional = $5, updated = $6, reason = $7
             WHERE client_id = $1",
            &[
                &o.client_id.as_str(),
                &o.broker_id,
                &o.status.as_str(),
                &big(o.filled_qty.get(), "filled qty")?,
                &o.filled_notional,
                &ts(o.updated)?,
                &o.reason,
            ],
        )
        .map_err(map_err)?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("order {}", o.client_id)));
    }
    append_event(t, o)
}

pub(super) fn order(t: &mut Transaction<'_>, id: &ClientOrderId) -> Result<Option<Order>, StoreError> {
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE client_id = $1");
    t.query_opt(&sql, &[&id.as_str()]).map_err(map_err)?.as_ref().map(order_from_row).transpose()
}

pub(super) fn open_orders(t: &mut Transaction<'_>) -> Result<Vec<Order>, StoreError> {
    // The literal list matches the partial index `orders_open`.
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE status IN ('pending_new', 'accepted', 'partially_filled') ORDER BY client_id"
    );
    t.query(&sql, &[]).map_err(map_err)?.iter().map(order_from_row).collect()
}

pub(super) fn orders_since(t: &mut Transaction<'_>, since: Timestamp) -> Result<Vec<Order>, StoreError> {
    // Reads through the index `orders_by_created`.
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE created >= $1 ORDER BY created, client_id");
    t.query(&sql, &[&ts(since)?]).map_err(map_err)?.iter().map(order_from_row).collect()
}

pub(super) fn order_history(t: &mut Transaction<'_>, id: &ClientOrderId) -> Result<Vec<Order>, StoreError> {
    let Some(base) = order(t, id)? else { return Ok(Vec::new()) };
    const T: &str = "order_events";
    t.query(
        "SELECT ts, status, broker_id, filled_qty, filled_notional, reason FROM order_events
         WHERE client_id = $1 ORDER BY id",
        &[&id.as_str()],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        Ok(Order {
            updated: instant(r, 0, T)?,
            status: status_parse(T, get(r, 1, T)?)?,
            broker_id: get(r, 2, T)?,
            filled_qty: qty(r, 3, T)?,
            filled_notional: get(r, 4, T)?,
            reason: get(r, 5, T)?,
            ..base.clone()
        })
    })
    .collect()
}

pub(super) fn record_fill(t: &mut Transaction<'_>, f: &Fill) -> Result<(), StoreError> {
    let known: bool = t
        .query_one("SELECT EXISTS (SELECT 1 FROM orders WHERE client_id = $1)", &[&f.client_id.as_str()])
        .map_err(map_err)
        .and_then(|r| get(&r, 0, "orders"))?;
    if !known {
        return Err(StoreError::NotFound(format!("order {} for fill", f.client_id)));
    }
    t.execute(
        "INSERT INTO fills (client_id, code, side, qty, price, commission, tax, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &f.client_id.as_str(),
            &f.code.as_str(),
            &f.side.as_str(),
            &big(f.qty.get(), "qty")?,
            &f.price.won(),
            &num(f.commission),
            &num(f.tax),
            &ts(f.ts)?,
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

const FILL_COLS: &str = "client_id, code, side, qty, price, commission, tax, ts";

fn fill_from_row(r: &Row) -> Result<Fill, StoreError> {
    const T: &str = "fills";
    Ok(Fill {
        client_id: client_id(r, 0, T)?,
        code: code(r, 1, T)?,
        side: side_parse(T, get(r, 2, T)?)?,
        qty: qty(r, 3, T)?,
        price: price(r, 4, T)?,
        commission: money(r, 5, T)?,
        tax: money(r, 6, T)?,
        ts: instant(r, 7, T)?,
    })
}

pub(super) fn fills_for(t: &mut Transaction<'_>, id: &ClientOrderId) -> Result<Vec<Fill>, StoreError> {
    let sql = format!("SELECT {FILL_COLS} FROM fills WHERE client_id = $1 ORDER BY id");
    t.query(&sql, &[&id.as_str()]).map_err(map_err)?.iter().map(fill_from_row).collect()
}

pub(super) fn fills_since(t: &mut Transaction<'_>, since: Timestamp) -> Result<Vec<Fill>, StoreError> {
    let sql = format!("SELECT {FILL_COLS} FROM fills WHERE ts >= $1 ORDER BY ts, id");
    t.query(&sql, &[&ts(since)?]).map_err(map_err)?.iter().map(fill_from_row).collect()
}

pub(super) fn save_positions(t: &mut Transaction<'_>, at: Timestamp, positions: &[Position]) -> Result<(), StoreError> {
    let at = ts(at)?;
    t.execute("DELETE FROM position_snapshots WHERE ts = $1", &[&at]).map_err(map_err)?;
    t.execute("INSERT INTO position_snapshots (ts) VALUES ($1)", &[&at]).map_err(map_err)?;
    let stmt = t
        .prepare(
            "INSERT INTO positions (ts, code, qty, cost, realized_pnl, last_price, costs_paid)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .map_err(map_err)?;
    for p in positions {
        t.execute(
            &stmt,
            &[
                &at,
                &p.code.as_str(),
                &big(p.qty.get(), "qty")?,
                &num(p.cost),
                &num(p.realized_pnl),
                &p.last_price.won(),
                &num(p.costs_paid),
            ],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn positions(t: &mut Transaction<'_>) -> Result<Vec<Position>, StoreError> {
    const T: &str = "positions";
    t.query(
        "SELECT code, qty, cost, realized_pnl, last_price, costs_paid FROM positions
         WHERE ts = (SELECT max(ts) FROM position_snapshots) ORDER BY code",
        &[],
    )
    .map_err(map_err)?
    .iter()
    .map(|r| {
        Ok(Position {
            code: code(r, 0, T)?,
            qty: qty(r, 1, T)?,
            cost: money(r, 2, T)?,
            realized_pnl: money(r, 3, T)?,
            last_price: price(r, 4, T)?,
            costs_paid: money(r, 5, T)?,
        })
    })
    .collect()
}
