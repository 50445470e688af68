//! The order journal: orders, their state history, fills and position snapshots.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::map_err_in;
use crate::domain::{
    ClientOrderId, Fill, Order, OrderKind, OrderRequest, OrderStatus, Position, Price, Qty, Side, TimeInForce,
    Timestamp,
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

fn decode(table: &'static str, what: &str, value: &str) -> rusqlite::Error {
    let e = StoreError::Decode { table, message: format!("unknown {what} {value:?}") };
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn side_parse(table: &'static str, s: &str) -> rusqlite::Result<Side> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(decode(table, "side", s)),
    }
}

fn qty(r: &Row<'_>, i: usize) -> rusqlite::Result<Qty> {
    let v: i64 = r.get(i)?;
    u64::try_from(v).map(Qty::from_shares).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
}

/// An order from a row of [`ORDER_COLS`].
fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let limit: Option<Price> = r.get(5)?;
    let tif: String = r.get(6)?;
    let status: String = r.get(7)?;
    let request = OrderRequest {
        code: r.get(2)?,
        side: side_parse("orders", &r.get::<_, String>(3)?)?,
        qty: qty(r, 4)?,
        kind: limit.map_or(OrderKind::Market, OrderKind::Limit),
        tif: match tif.as_str() {
            "day" => TimeInForce::Day,
            "ioc" => TimeInForce::Ioc,
            "fok" => TimeInForce::Fok,
            _ => return Err(decode("orders", "time in force", &tif)),
        },
    };
    Ok(Order {
        client_id: r.get(0)?,
        broker_id: r.get(1)?,
        request,
        status: OrderStatus::parse(&status).map_err(|_| decode("orders", "status", &status))?,
        filled_qty: qty(r, 8)?,
        filled_notional: r.get(9)?,
        created: r.get(10)?,
        updated: r.get(11)?,
        reason: r.get(12)?,
    })
}

fn append_event(conn: &Connection, o: &Order) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO order_events (client_id, ts, status, broker_id, filled_qty, filled_notional, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            o.client_id,
            o.updated,
            o.status.as_str(),
            o.broker_id,
            o.filled_qty.get() as i64,
            o.filled_notional,
            o.reason
        ])
    })
    .map_err(|e| map_err_in("order_events", e))?;
    Ok(())
}

pub(super) fn journal_order(conn: &Connection, o: &Order) -> Result<(), StoreError> {
    let r = &o.request;
    let sql =
        format!("INSERT INTO orders ({ORDER_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.execute(params![
                o.client_id,
                o.broker_id,
                r.code,
                r.side.as_str(),
                r.qty.get() as i64,
                r.kind.limit_price(),
                tif_str(r.tif),
                o.status.as_str(),
                o.filled_qty.get() as i64,
                o.filled_notional,
                o.created,
                o.updated,
                o.reason
            ])
        })
        .map_err(|e| match map_err_in("orders", e) {
            StoreError::Constraint(m) if m.contains("orders.client_id") => {
                StoreError::Constraint(format!("order {} already journaled", o.client_id))
            }
            other => other,
        })?;
    append_event(conn, o)
}

pub(super) fn update_order(conn: &Connection, o: &Order) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE orders SET broker_id = ?2, status = ?3, filled_qty = ?4, filled_notional = ?5, updated = ?6, reason = ?7
             WHERE client_id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                o.client_id,
                o.broker_id,
                o.status.as_str(),
                o.filled_qty.get() as i64,
                o.filled_notional,
                o.updated,
                o.reason
            ])
        })
        .map_err(|e| map_err_in("orders", e))?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("order {}", o.client_id)));
    }
    append_event(conn, o)
}

pub(super) fn order(conn: &Connection, id: &ClientOrderId) -> Result<Option<Order>, StoreError> {
    let e = |err| map_err_in("orders", err);
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE client_id = ?1");
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    stmt.query_row([id], order_from_row).optional().map_err(e)
}

pub(super) fn open_orders(conn: &Connection) -> Result<Vec<Order>, StoreError> {
    let e = |err| map_err_in("orders", err);
    // The literal list matches the partial index `orders_open`, so this reads only open orders.
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE status IN ('pending_new', 'accepted', 'partially_filled') ORDER BY client_id"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt.query_map([], order_from_row).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn orders_since(conn: &Connection, since: Timestamp) -> Result<Vec<Order>, StoreError> {
    let e = |err| map_err_in("orders", err);
    // Reads through the index `orders_by_created`.
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE created >= ?1 ORDER BY created, client_id");
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt.query_map([since], order_from_row).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn order_history(conn: &Connection, id: &ClientOrderId) -> Result<Vec<Order>, StoreError> {
    let Some(base) = order(conn, id)? else { return Ok(Vec::new()) };
    let e = |err| map_err_in("order_events", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT ts, status, broker_id, filled_qty, filled_notional, reason FROM order_events
             WHERE client_id = ?1 ORDER BY id",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([id], |r| {
            let status: String = r.get(1)?;
            Ok(Order {
                updated: r.get(0)?,
                status: OrderStatus::parse(&status).map_err(|_| decode("order_events", "status", &status))?,
                broker_id: r.get(2)?,
                filled_qty: qty(r, 3)?,
                filled_notional: r.get(4)?,
                reason: r.get(5)?,
                ..base.clone()
            })
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn record_fill(conn: &Connection, f: &Fill) -> Result<(), StoreError> {
    let e = |err| map_err_in("fills", err);
    let known: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM orders WHERE client_id = ?1)")
        .and_then(|mut s| s.query_row([&f.client_id], |r| r.get(0)))
        .map_err(e)?;
    if !known {
        return Err(StoreError::NotFound(format!("order {} for fill", f.client_id)));
    }
    conn.prepare_cached(
        "INSERT INTO fills (client_id, code, side, qty, price, commission, tax, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![f.client_id, f.code, f.side.as_str(), f.qty.get() as i64, f.price, f.commission, f.tax, f.ts])
    })
    .map_err(e)?;
    Ok(())
}

const FILL_COLS: &str = "client_id, code, side, qty, price, commission, tax, ts";

fn fill_from_row(r: &Row<'_>) -> rusqlite::Result<Fill> {
    Ok(Fill {
        client_id: r.get(0)?,
        code: r.get(1)?,
        side: side_parse("fills", &r.get::<_, String>(2)?)?,
        qty: qty(r, 3)?,
        price: r.get(4)?,
        commission: r.get(5)?,
        tax: r.get(6)?,
        ts: r.get(7)?,
    })
}

pub(super) fn fills_for(conn: &Connection, id: &ClientOrderId) -> Result<Vec<Fill>, StoreError> {
    let e = |err| map_err_in("fills", err);
    let sql = format!("SELECT {FILL_COLS} FROM fills WHERE client_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt.query_map([id], fill_from_row).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn fills_since(conn: &Connection, since: Timestamp) -> Result<Vec<Fill>, StoreError> {
    let e = |err| map_err_in("fills", err);
    let sql = format!("SELECT {FILL_COLS} FROM fills WHERE ts >= ?1 ORDER BY ts, id");
    let mut stmt = conn.prepare_cached(&sql).map_err(e)?;
    let rows = stmt.query_map([since], fill_from_row).map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}

pub(super) fn save_positions(conn: &Connection, ts: Timestamp, positions: &[Position]) -> Result<(), StoreError> {
    let e = |err| map_err_in("positions", err);
    conn.execute("DELETE FROM position_snapshots WHERE ts = ?1", [ts]).map_err(e)?;
    conn.execute("INSERT INTO position_snapshots (ts) VALUES (?1)", [ts]).map_err(e)?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO positions (ts, code, qty, cost, realized_pnl, last_price, costs_paid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(e)?;
    for p in positions {
        stmt.execute(params![ts, p.code, p.qty.get() as i64, p.cost, p.realized_pnl, p.last_price, p.costs_paid])
            .map_err(e)?;
    }
    Ok(())
}

pub(super) fn positions(conn: &Connection) -> Result<Vec<Position>, StoreError> {
    let e = |err| map_err_in("positions", err);
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, qty, cost, realized_pnl, last_price, costs_paid FROM positions
             WHERE ts = (SELECT max(ts) FROM position_snapshots) ORDER BY code",
        )
        .map_err(e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Position {
                code: r.get(0)?,
                qty: qty(r, 1)?,
                cost: r.get(2)?,
                realized_pnl: r.get(3)?,
                last_price: r.get(4)?,
                costs_paid: r.get(5)?,
            })
        })
        .map_err(e)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
}
