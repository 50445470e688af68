//! Shared setup: a local KIS server on 127.0.0.1 with an injected clock set inside the
//! regular session, and clients pointed at it with their own app key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use hantu_core::clock::SimClock;
use hantu_core::domain::{
    ClientOrderId, Fill, InstrumentKind, Market, Money, Order, OrderRequest, Portfolio, Price, Qty, Side, StockCode,
    Timestamp,
};
use hantu_core::krx::FeeModel;
use hantu_core::risk::{Approved, InstrumentRisk, RiskLimits, RiskManager, RiskView};
use hantu_kis::auth::{AccountNo, Credential};
use hantu_kis::calllog::CallRecord;
use hantu_kis::mock::{MockConfig, MockMarket, MockServer};
use hantu_kis::retry::RetryPolicy;
use hantu_kis::{Environment, KisBroker, KisClient, KisConfig};

/// 2025-07-25 (a Friday, KRX open), the day of the reference samples.
pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 25).unwrap()
}

/// A clock at `hh:mm` KST on [`day`].
pub fn clock_at(hour: u32, minute: u32) -> Arc<SimClock> {
    Arc::new(SimClock::new(Timestamp::kst(day(), hour, minute)))
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A fresh app key (so each test has its own process-wide limiter).
pub fn fresh_key() -> String {
    format!("PSTEST{:08}{:022}", std::process::id(), NEXT_KEY.fetch_add(1, Ordering::Relaxed))
}

/// A local server for `env` over the fixture market, at 10:00 on [`day`].
pub struct Rig {
    pub server: MockServer,
    pub clock: Arc<SimClock>,
    pub env: Environment,
}

impl Rig {
    pub async fn start(env: Environment) -> Self {
        Self::with(env, |c| c).await
    }

    pub async fn with(env: Environment, f: impl FnOnce(MockConfig) -> MockConfig) -> Self {
        let clock = clock_at(10, 0);
        let config = MockConfig::new(env, MockMarket::fixture(day()))
            .with_app(fresh_key(), "A".repeat(180))
            .with_clock(clock.clone());
        let server = MockServer::start(f(config)).await.unwrap();
        Self { server, clock, env }
    }

    /// Client configuration pointed at the server, with short timeouts and fast retries.
    pub fn config(&self) -> KisConfig {
        let (key, secret) = self.server.app();
        KisConfig::new(self.env, Credential::new(key, secret).unwrap())
            .with_rest_url(self.server.base_url())
            .with_account(AccountNo::parse(&self.server.account()).unwrap())
            .with_clock(self.clock.clone())
            .with_timeout(Duration::from_secs(3))
            .with_retry(RetryPolicy {
                max_attempts: 4,
                base: Duration::from_millis(20),
                max: Duration::from_millis(100),
            })
    }

    pub fn client(&self) -> KisClient {
        KisClient::new(self.config()).unwrap()
    }

    pub fn broker(&self) -> KisBroker {
        KisBroker::new(self.client()).unwrap()
    }

    /// Moves both clocks to `hh:mm` on [`day`].
    pub fn at(&self, hour: u32, minute: u32) {
        self.clock.set(Timestamp::kst(day(), hour, minute));
    }
}

/// A call hook collecting records.
pub fn recorder() -> (hantu_kis::calllog::CallHook, Arc<Mutex<Vec<CallRecord>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    (Arc::new(move |r: &CallRecord| sink.lock().unwrap().push(r.clone())), log)
}

pub fn code(s: &str) -> StockCode {
    StockCode::new(s)
}

static NEXT_ORDER: AtomicU64 = AtomicU64::new(1);

/// An order approved by a permissive risk manager, against a rich portfolio holding `held`
/// shares of the order's stock (the local server checks the real account).
pub fn approve(request: OrderRequest, reference: i64, held: u64) -> Approved {
    let mut pf = Portfolio::new(Money::from_won(10_000_000_000));
    if held > 0 {
        let fill = Fill {
            client_id: ClientOrderId::from_seq("seed", 0),
            code: request.code,
            side: Side::Buy,
            qty: Qty::from_shares(held),
            price: Price::new(reference),
            commission: Money::ZERO,
            tax: Money::ZERO,
            ts: Timestamp::kst(day(), 9, 0),
        };
        pf.apply_fill(&fill, day()).unwrap();
    }
    let order = Order::new(
        ClientOrderId::from_seq("t", NEXT_ORDER.fetch_add(1, Ordering::Relaxed)),
        request,
        Timestamp::kst(day(), 10, 0),
    );
    let fees = FeeModel::default();
    let sector_of = |_: StockCode| None;
    let view = RiskView {
        now: Timestamp::kst(day(), 10, 0),
        portfolio: &pf,
        open_orders: &[],
        instrument: InstrumentRisk {
            market: Market::Kospi,
            kind: InstrumentKind::Stock,
            sector: None,
            reference: Some(Price::new(reference)),
        },
        sector_of: &sector_of,
        fees: &fees,
    };
    RiskManager::new(RiskLimits::unlimited()).check(order, &view).unwrap()
}

pub fn limit(code_: &str, side: Side, qty: u64, price: i64) -> OrderRequest {
    OrderRequest::limit(code(code_), side, Qty::from_shares(qty), Price::new(price)).unwrap()
}
