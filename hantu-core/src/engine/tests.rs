use chrono::NaiveDate;

use super::*;
use crate::domain::{Price, Qty, StockCode};
use crate::store::MemoryStore;

struct Script {
    actions: Vec<(usize, Side, u64, Option<i64>)>,
    bar_no: usize,
    updates: Vec<Order>,
}

impl Strategy for Script {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        for &(n, side, qty, limit) in &self.actions {
            if n == self.bar_no {
                let _ = match limit {
                    Some(p) => ctx.limit(bar.code, side, qty, Price::new(p)),
                    None => ctx.market(bar.code, side, qty),
                };
            }
        }
        self.bar_no += 1;
    }

    fn on_order_update(&mut self, _ctx: &mut Context<'_>, order: &Order) {
        self.updates.push(order.clone());
    }
}

fn bar(day: u32, close: i64) -> Bar {
    let ts = Timestamp::daily_close(NaiveDate::from_ymd_opt(2025, 3, day).unwrap());
    Bar::new_checked(
        StockCode::new("005930"),
        ts,
        Price::new(close),
        Price::new(close),
        Price::new(close),
        Price::new(close),
        1_000,
    )
    .unwrap()
}

#[test]
fn refused_orders_come_back_with_a_reason_and_are_journaled() {
    let store = Arc::new(MemoryStore::new());
    let mut engine = Engine::new(EngineConfig { cash: Money::from_won(100_000), ..EngineConfig::default() })
        .unwrap()
        .with_store(store.clone());
    let mut s = Script {
        actions: vec![(0, Side::Buy, 100, None), (0, Side::Buy, 1, Some(70_050))],
        bar_no: 0,
        updates: vec![],
    };
    engine.on_bar(&mut s, &bar(3, 70_000)).unwrap();
    assert_eq!(s.updates.len(), 2);
    assert!(s.updates.iter().all(|o| o.status == OrderStatus::Rejected));
    assert!(s.updates[0].reason.as_deref().unwrap().contains("buying power"));
    assert!(s.updates[1].reason.as_deref().unwrap().contains("tick"));
    assert!(!engine.has_outgoing());
    let stored = store.order(&s.updates[0].client_id).unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Rejected);
}

#[test]
fn approved_orders_are_journaled_before_they_leave_and_reserve_cash() {
    let store = Arc::new(MemoryStore::new());
    let mut engine = Engine::new(EngineConfig::default()).unwrap().with_store(store.clone());
    let mut s = Script { actions: vec![(0, Side::Buy, 10, None)], bar_no: 0, updates: vec![] };
    engine.on_bar(&mut s, &bar(3, 70_000)).unwrap();
    let out: Vec<_> = engine.drain_outbox().collect();
    let [Outgoing::Place(a)] = &out[..] else { panic!("{out:?}") };
    assert_eq!(store.order(&a.order().client_id).unwrap().unwrap().status, OrderStatus::PendingNew);
    assert_eq!(engine.portfolio().reserved(), Money::from_won(700_000 + 105));
    let id = a.order().client_id.clone();
    let ts = bar(4, 70_000).ts;
    engine.on_order_status(&mut s, &id, OrderStatus::Accepted, Some("0000000001".into()), None, ts).unwrap();
    let fill = Fill {
        client_id: id.clone(),
        code: StockCode::new("005930"),
        side: Side::Buy,
        qty: Qty::from_shares(10),
        price: Price::new(70_000),
        commission: Money::from_won(105),
        tax: Money::ZERO,
        ts,
    };
    engine.on_fill(&mut s, fill).unwrap();
    assert_eq!(engine.portfolio().reserved(), Money::ZERO);
    assert_eq!(engine.portfolio().qty(StockCode::new("005930")), 10);
    assert!(engine.open_orders().is_empty());
    assert_eq!(store.order(&id).unwrap().unwrap().status, OrderStatus::Filled);
    assert_eq!(store.fills_for(&id).unwrap().len(), 1);
    // An illegal transition on a finished order is an error, not a silent change.
    assert!(engine.on_order_status(&mut s, &id, OrderStatus::Cancelled, None, None, ts).is_err());
}
