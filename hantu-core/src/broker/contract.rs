//! The broker contract: what every [`Broker`] must do, as one async function that each
//! implementation's tests run — hantu-core's against [`crate::sim::PaperBroker`], hantu-kis's
//! against `KisBroker` over the local KIS server. Enabled by the `testing` feature.
//!
//! The contract covers: a resting limit order is listed as open with its client id and can be
//! cancelled once (a second cancel is [`BrokerError::Rejected`]); a market buy fills at the
//! market price and shows in the fills, the positions, the cash and today's orders; held shares
//! can be sold; selling more than is held is rejected by the broker.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;

use super::{Broker, BrokerError};
use crate::domain::{
    ClientOrderId, Fill, InstrumentKind, Market, Money, Order, OrderKind, OrderRequest, OrderStatus, Portfolio, Price,
    Qty, Side, StockCode, Timestamp,
};
use crate::krx::{FeeModel, TickTable};
use crate::risk::{Approved, InstrumentRisk, Refusal, RiskLimits, RiskManager, RiskView};

/// The market the contract runs in: one stock trading at `price` on `day`, an account holding
/// `cash` and no shares, and a way to build approved orders.
#[derive(Clone, Debug)]
pub struct ContractSetup {
    /// The stock traded.
    pub code: StockCode,
    /// Its current price (and the session's base price).
    pub price: Price,
    /// The account's cash before the contract runs.
    pub cash: Money,
    /// The trading day (the broker's clock is inside its regular session).
    pub day: NaiveDate,
    /// The stock's market (tick grid and limits).
    pub market: Market,
    /// The stock's kind.
    pub kind: InstrumentKind,
}

/// Client ids of contract orders: unique within the process, whichever setup makes them.
static NEXT_ORDER: AtomicU64 = AtomicU64::new(1);

impl ContractSetup {
    /// `code`, a KOSPI stock, trading at `price` on `day`, with `cash` in the account.
    #[must_use]
    pub fn new(code: StockCode, price: Price, cash: Money, day: NaiveDate) -> Self {
        Self { code, price, cash, day, market: Market::Kospi, kind: InstrumentKind::Stock }
    }

    /// The stock trades on `market` as a `kind`.
    #[must_use]
    pub fn with_instrument(mut self, market: Market, kind: InstrumentKind) -> Self {
        self.market = market;
        self.kind = kind;
        self
    }

    /// 09:00 KST on the trading day.
    #[must_use]
    pub fn session_start(&self) -> Timestamp {
        Timestamp::kst(self.day, 9, 0)
    }

    /// Approves `request` through a [`RiskManager`] with [`RiskLimits::unlimited`], against a
    /// rich portfolio holding `held` shares of the order's stock: the contract is about what
    /// the broker checks, so the risk manager lets through what the broker must refuse.
    ///
    /// # Errors
    /// The [`Refusal`] of the risk manager (a price off the grid or outside the limits, or a
    /// sell of more than `held`).
    pub fn approve(&self, request: OrderRequest, held: u64) -> Result<Approved, Refusal> {
        let now = Timestamp::kst(self.day, 10, 0);
        let mut portfolio = Portfolio::new(Money::from_won(10_000_000_000));
        if held > 0 {
            let seed = Fill {
                client_id: ClientOrderId::from_seq("contract-seed", 0),
                code: request.code,
                side: Side::Buy,
                qty: Qty::from_shares(held),
                price: self.price,
                commission: Money::ZERO,
                tax: Money::ZERO,
                ts: self.session_start(),
            };
            // A buy into an empty portfolio cannot fail; were it to, the sell would be refused
            // for want of shares, which reports the problem.
            let _ = portfolio.apply_fill(&seed, self.day);
        }
        let order =
            Order::new(ClientOrderId::from_seq("contract", NEXT_ORDER.fetch_add(1, Ordering::Relaxed)), request, now);
        let fees = FeeModel::default();
        let sector_of = |_: StockCode| None;
        let view = RiskView {
            now,
            portfolio: &portfolio,
            open_orders: &[],
            instrument: InstrumentRisk {
                market: self.market,
                kind: self.kind,
                sector: None,
                reference: Some(self.price),
            },
            sector_of: &sector_of,
            fees: &fees,
        };
        RiskManager::new(RiskLimits::unlimited()).check(order, &view)
    }

    fn approved(&self, kind: OrderKind, side: Side, qty: u64, held: u64) -> Approved {
        let request = OrderRequest::new_checked(self.code, side, Qty::from_shares(qty), kind, Default::default())
            .unwrap_or_else(|e| panic!("contract order: {e}"));
        self.approve(request, held).unwrap_or_else(|r| panic!("the risk manager refused a contract order: {r}"))
    }
}

/// Runs the broker contract against `broker`, whose market and account are described by
/// `setup`: no holdings, no orders yet today, the clock inside the regular session, and an
/// order at `setup.price` marketable.
///
/// # Panics
/// On the first rule the broker breaks, with what was expected (this is a test).
pub async fn broker_contract(broker: &dyn Broker, setup: &ContractSetup) {
    let s = setup;
    let name = broker.name().to_owned();
    let price = s.price.won();
    let table = TickTable::for_date(s.day, s.market, s.kind);
    let below = Price::new(table.round_down(price * 91 / 100));

    // A resting limit buy is listed as open, with our client id, and can be cancelled.
    let resting = s.approved(OrderKind::Limit(below), Side::Buy, 5, 0);
    let ack = broker.place(&resting).await.unwrap_or_else(|e| panic!("{name}: resting limit buy: {e}"));
    assert!(
        ack.broker_id.len() == 10 && ack.broker_id.bytes().all(|b| b.is_ascii_digit()),
        "{name}: order numbers are ten digits, got {:?}",
        ack.broker_id
    );
    let open = broker.open_orders().await.unwrap_or_else(|e| panic!("{name}: open orders: {e}"));
    assert_eq!(open.len(), 1, "{name}: one open order");
    let o = &open[0];
    assert_eq!((o.broker_id.as_str(), o.status, o.qty.get()), (ack.broker_id.as_str(), OrderStatus::Accepted, 5));
    assert_eq!(o.client_id.as_ref(), Some(&resting.order().client_id), "{name}: the client id is carried");
    assert_eq!((o.code, o.side, o.kind), (s.code, Side::Buy, OrderKind::Limit(below)));
    broker.cancel(&ack.broker_id).await.unwrap_or_else(|e| panic!("{name}: cancel: {e}"));
    assert!(
        broker.open_orders().await.unwrap_or_else(|e| panic!("{name}: open orders: {e}")).is_empty(),
        "{name}: nothing open after the cancel"
    );
    let today = broker.orders_today().await.unwrap_or_else(|e| panic!("{name}: orders today: {e}"));
    let cancelled = today.iter().find(|x| x.broker_id == ack.broker_id);
    assert_eq!(cancelled.map(|x| x.status), Some(OrderStatus::Cancelled), "{name}: the cancelled order is listed");
    // Cancelling again is a rejection, not a success.
    let again = broker.cancel(&ack.broker_id).await;
    assert!(matches!(again, Err(BrokerError::Rejected { .. })), "{name}: second cancel gave {again:?}");

    // A market buy fills; the fill, the position and the cash all show it.
    let before = broker.balance().await.unwrap_or_else(|e| panic!("{name}: balance: {e}"));
    assert_eq!(before.cash, s.cash, "{name}: cash before any fill");
    let buy = s.approved(OrderKind::Market, Side::Buy, 10, 0);
    let ack = broker.place(&buy).await.unwrap_or_else(|e| panic!("{name}: market buy: {e}"));
    let fills = broker.fills_since(s.session_start()).await.unwrap_or_else(|e| panic!("{name}: fills: {e}"));
    let fill = fills.iter().find(|f| f.broker_id == ack.broker_id);
    assert_eq!(
        fill.map(|f| (f.code, f.qty.get(), f.price.won(), f.side)),
        Some((s.code, 10, price, Side::Buy)),
        "{name}: the market buy's fill"
    );
    let pos = broker.positions().await.unwrap_or_else(|e| panic!("{name}: positions: {e}"));
    assert_eq!(pos.len(), 1, "{name}: one position");
    assert_eq!((pos[0].code, pos[0].qty.get(), pos[0].sellable.get()), (s.code, 10, 10));
    let after = broker.balance().await.unwrap_or_else(|e| panic!("{name}: balance: {e}"));
    assert!(
        after.cash < before.cash - Money::from_won(price * 10 - 1),
        "{name}: cash {} after buying 10 × {price} from {}",
        after.cash,
        before.cash
    );
    let today = broker.orders_today().await.unwrap_or_else(|e| panic!("{name}: orders today: {e}"));
    let filled = today.iter().find(|x| x.broker_id == ack.broker_id);
    assert_eq!(filled.map(|x| x.status), Some(OrderStatus::Filled), "{name}: the market buy is filled");
    assert_eq!(filled.and_then(|x| x.client_id.as_ref()), Some(&buy.order().client_id));

    // Selling what we hold works; selling more than we hold is refused by the broker.
    let sell = s.approved(OrderKind::Limit(s.price), Side::Sell, 4, 10);
    broker.place(&sell).await.unwrap_or_else(|e| panic!("{name}: sell of held shares: {e}"));
    let too_many = s.approved(OrderKind::Limit(s.price), Side::Sell, 50, 50);
    let refused = broker.place(&too_many).await;
    assert!(matches!(refused, Err(BrokerError::Rejected { .. })), "{name}: selling 50 of 6 held gave {refused:?}");
    let pos = broker.positions().await.unwrap_or_else(|e| panic!("{name}: positions: {e}"));
    assert_eq!(pos.first().map(|p| p.qty.get()), Some(6), "{name}: 6 shares left");
}
