//! A Python object as a core [`Strategy`].
//!
//! The engine calls the adapter; the adapter calls the Python hooks with a [`PyBar`] and the
//! run's one [`PyContext`]. The context holds a snapshot of cash and positions taken just before
//! the call, and buffers the orders the hook asks for; after the hook returns the adapter hands
//! them to the core context, which assigns ids and queues them for risk checks. The context is
//! only usable during a hook (it refuses calls afterwards), so a strategy cannot act on stale
//! state. The GIL is held for the whole run.
//!
//! The first exception a hook raises is kept, the orders that hook asked for are dropped (its
//! decision is incomplete), no further hooks are called, and the run raises it when it ends.
//!
//! The adapter reaches the interpreter through [`Gil`]: a backtest holds the GIL for the whole run
//! (`Python<'py>`, nothing to acquire per bar); the trader runs without it, so it waits on the
//! network while other Python threads run, and takes it for each callback ([`Attach`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Datelike;

use hantu_core::domain::{
    Bar, ClientOrderId, Fill, Money, Order, OrderKind, OrderRequest, Price, Qty, Side, StockCode, Tick, TimeInForce,
    Timestamp,
};
use hantu_core::strategy::{Context, Strategy};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::{HantuError, ValidationError, validation_err};
use crate::frames::ts_to_ns;

/// One bar as a strategy sees it. Prices are whole won.
#[pyclass(frozen, name = "Bar", module = "hantu")]
pub(crate) struct PyBar {
    /// Six-character stock code.
    #[pyo3(get)]
    code: Py<PyString>,
    /// Time of the bar as naive KST nanoseconds (midnight for daily bars).
    #[pyo3(get)]
    ts: i64,
    /// First trade.
    #[pyo3(get)]
    open: i64,
    /// Highest trade.
    #[pyo3(get)]
    high: i64,
    /// Lowest trade.
    #[pyo3(get)]
    low: i64,
    /// Last trade.
    #[pyo3(get)]
    close: i64,
    /// Shares traded.
    #[pyo3(get)]
    volume: u64,
}

#[pymethods]
impl PyBar {
    /// A bar (for testing a strategy's hooks by hand). `ts` is naive KST nanoseconds.
    #[new]
    #[pyo3(signature = (code, ts, open, high, low, close, volume))]
    #[allow(clippy::too_many_arguments, reason = "one argument per field")]
    fn new(code: Bound<'_, PyString>, ts: i64, open: i64, high: i64, low: i64, close: i64, volume: u64) -> Self {
        Self { code: code.unbind(), ts, open, high, low, close, volume }
    }

    /// Pickles as the constructor call.
    #[allow(clippy::type_complexity, reason = "the shape pickle expects")]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> (Bound<'py, pyo3::types::PyType>, (Py<PyString>, i64, i64, i64, i64, i64, u64)) {
        let b = slf.get();
        (slf.get_type(), (b.code.clone_ref(slf.py()), b.ts, b.open, b.high, b.low, b.close, b.volume))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|o| {
            let o = o.get();
            self.code.bind(other.py()).to_string_lossy() == o.code.bind(other.py()).to_string_lossy()
                && (self.ts, self.open, self.high, self.low, self.close, self.volume)
                    == (o.ts, o.open, o.high, o.low, o.close, o.volume)
        })
    }
    /// The bar's KST date as a `datetime.date`.
    #[getter]
    fn date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = chrono::DateTime::from_timestamp_nanos(self.ts).date_naive();
        py.import("datetime")?.getattr("date")?.call1((d.year(), d.month(), d.day()))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Bar(code={:?}, date={}, open={}, high={}, low={}, close={}, volume={})",
            self.code.bind(py).to_string_lossy(),
            chrono::DateTime::from_timestamp_nanos(self.ts).naive_utc(),
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume
        )
    }
}

/// One trade print as a strategy sees it in `on_tick` (the trader only; backtests run on bars).
#[pyclass(frozen, get_all, name = "Tick", module = "hantu")]
pub(crate) struct PyTick {
    /// Six-character stock code.
    code: Py<PyString>,
    /// Time of the print as naive KST nanoseconds.
    ts: i64,
    /// Trade price (won).
    price: i64,
    /// Shares traded.
    qty: u64,
}

#[pymethods]
impl PyTick {
    /// A print (for testing a strategy's hooks by hand). `ts` is naive KST nanoseconds.
    #[new]
    fn new(code: Bound<'_, PyString>, ts: i64, price: i64, qty: u64) -> Self {
        Self { code: code.unbind(), ts, price, qty }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Tick(code={:?}, ts={}, price={}, qty={})",
            self.code.bind(py).to_string_lossy(),
            chrono::DateTime::from_timestamp_nanos(self.ts).naive_utc(),
            self.price,
            self.qty
        )
    }
}

/// A fill, passed to `on_fill`.
#[pyclass(frozen, get_all, name = "Fill", module = "hantu")]
pub(crate) struct PyFill {
    /// Id of the order.
    client_id: String,
    /// Stock code.
    code: String,
    /// `"buy"` or `"sell"`.
    side: &'static str,
    /// Shares.
    qty: u64,
    /// Execution price (won).
    price: i64,
    /// Commission (won).
    commission: f64,
    /// Transaction tax (won).
    tax: f64,
    /// Time as naive KST nanoseconds.
    ts: i64,
}

#[pymethods]
impl PyFill {
    fn __repr__(&self) -> String {
        format!("Fill({} {} {} x {} @ {})", self.client_id, self.side, self.code, self.qty, self.price)
    }
}

impl From<&Fill> for PyFill {
    fn from(f: &Fill) -> Self {
        Self {
            client_id: f.client_id.to_string(),
            code: f.code.to_string(),
            side: f.side.as_str(),
            qty: f.qty.get(),
            price: f.price.won(),
            commission: f.commission.to_f64(),
            tax: f.tax.to_f64(),
            ts: ts_to_ns(f.ts),
        }
    }
}

/// An order's state, passed to `on_order_update`.
#[pyclass(frozen, get_all, name = "Order", module = "hantu")]
pub(crate) struct PyOrder {
    /// Our id.
    client_id: String,
    /// Stock code.
    code: String,
    /// `"buy"` or `"sell"`.
    side: &'static str,
    /// Shares asked for.
    qty: u64,
    /// Limit price, `None` for market orders.
    limit_price: Option<i64>,
    /// `"pending_new"`, `"accepted"`, `"partially_filled"`, `"filled"`, `"cancelled"`,
    /// `"rejected"` or `"expired"`.
    status: &'static str,
    /// Shares filled so far.
    filled_qty: u64,
    /// Why it was rejected, cancelled or expired.
    reason: Option<String>,
}

#[pymethods]
impl PyOrder {
    fn __repr__(&self) -> String {
        format!("Order({} {} {} x {}: {})", self.client_id, self.side, self.code, self.qty, self.status)
    }
}

impl From<&Order> for PyOrder {
    fn from(o: &Order) -> Self {
        Self {
            client_id: o.client_id.to_string(),
            code: o.request.code.to_string(),
            side: o.request.side.as_str(),
            qty: o.request.qty.get(),
            limit_price: match o.request.kind {
                OrderKind::Limit(p) => Some(p.won()),
                _ => None,
            },
            status: o.status.as_str(),
            filled_qty: o.filled_qty.get(),
            reason: o.reason.clone(),
        }
    }
}

/// What a hook asked for, applied to the core context after the hook returns.
enum Pending {
    Submit(OrderRequest),
    Cancel(ClientOrderId),
}

/// The engine as a strategy sees it during a hook: cash, positions and order entry.
///
/// Not `unsendable`: a trader session releases its strategy without the GIL, and Python may then
/// free the context from whichever thread takes the GIL next.
#[pyclass(name = "Context", module = "hantu")]
pub(crate) struct PyContext {
    active: bool,
    now: Timestamp,
    cash: f64,
    buying_power: f64,
    equity: f64,
    /// `(code, shares, total cost incl. buy commissions)` of every position held.
    positions: Vec<(StockCode, u64, Money)>,
    open_codes: Vec<StockCode>,
    pending: Vec<Pending>,
}

impl PyContext {
    fn new() -> Self {
        Self {
            active: false,
            now: Timestamp::default(),
            cash: 0.0,
            buying_power: 0.0,
            equity: 0.0,
            positions: Vec::new(),
            open_codes: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Takes the snapshot a hook reads. Positions change only through fills, so they are
    /// copied again only when `positions_changed` (after a fill, and at start and each day's end).
    fn open(&mut self, ctx: &Context<'_>, positions_changed: bool) {
        self.active = true;
        self.now = ctx.now();
        let p = ctx.portfolio();
        self.cash = p.cash().to_f64();
        self.buying_power = p.buying_power().to_f64();
        self.equity = self.cash + p.market_value() as f64;
        if positions_changed {
            self.positions.clear();
            self.positions.extend(p.positions().filter(|x| !x.qty.is_zero()).map(|x| (x.code, x.qty.get(), x.cost)));
        }
        self.open_codes.clear();
        self.open_codes.extend(ctx.open_orders().iter().map(|o| o.request.code));
    }

    fn check(&self) -> PyResult<()> {
        if self.active {
            Ok(())
        } else {
            Err(HantuError::new_err("the context is only valid during a strategy callback"))
        }
    }

    fn code(code: &str) -> PyResult<StockCode> {
        StockCode::new_checked(code).map_err(|e| validation_err(&e))
    }

    fn order(&mut self, code: &str, side: Side, qty: i64, price: Option<i64>) -> PyResult<()> {
        self.check()?;
        let code = Self::code(code)?;
        let qty = Qty::new_checked(qty).map_err(|e| validation_err(&e))?;
        let kind = match price {
            None => OrderKind::Market,
            Some(p) => OrderKind::Limit(Price::new_checked(p).map_err(|e| validation_err(&e))?),
        };
        let req = OrderRequest::new_checked(code, side, qty, kind, TimeInForce::Day).map_err(|e| validation_err(&e))?;
        self.pending.push(Pending::Submit(req));
        Ok(())
    }
}

#[pymethods]
impl PyContext {
    /// The engine's clock as naive KST nanoseconds since the epoch.
    #[getter]
    fn ts(&self) -> PyResult<i64> {
        self.check()?;
        Ok(ts_to_ns(self.now))
    }

    /// All cash (won).
    #[getter]
    fn cash(&self) -> PyResult<f64> {
        self.check()?;
        Ok(self.cash)
    }

    /// Cash not reserved by open buy orders (won).
    #[getter]
    fn buying_power(&self) -> PyResult<f64> {
        self.check()?;
        Ok(self.buying_power)
    }

    /// Cash plus positions at their last prices (won).
    #[getter]
    fn equity(&self) -> PyResult<f64> {
        self.check()?;
        Ok(self.equity)
    }

    /// Shares held in `code` (0 when flat).
    fn qty(&self, code: &str) -> PyResult<u64> {
        self.check()?;
        let code = Self::code(code)?;
        Ok(self.positions.iter().find(|p| p.0 == code).map_or(0, |p| p.1))
    }

    /// Every position held as `{code: shares}`.
    fn positions(&self) -> PyResult<HashMap<String, u64>> {
        self.check()?;
        Ok(self.positions.iter().map(|p| (p.0.to_string(), p.1)).collect())
    }

    /// Average cost per share of `code` (including buy commissions), or `None` when flat.
    fn avg_cost(&self, code: &str) -> PyResult<Option<f64>> {
        self.check()?;
        let code = Self::code(code)?;
        Ok(self.positions.iter().find(|p| p.0 == code).map(|p| p.2.to_f64() / p.1 as f64))
    }

    /// Whether an order for `code` is working or was asked for in this callback.
    fn has_open_order(&self, code: &str) -> PyResult<bool> {
        self.check()?;
        let code = Self::code(code)?;
        Ok(self.open_codes.contains(&code)
            || self.pending.iter().any(|p| matches!(p, Pending::Submit(r) if r.code == code)))
    }

    /// Asks to buy `qty` shares of `code`: at the market, or at `price` won or better.
    /// Risk checks happen after the callback; a refusal arrives in `on_order_update`.
    #[pyo3(signature = (code, qty, price = None))]
    fn buy(&mut self, code: &str, qty: i64, price: Option<i64>) -> PyResult<()> {
        self.order(code, Side::Buy, qty, price)
    }

    /// Asks to sell `qty` shares of `code`: at the market, or at `price` won or better.
    #[pyo3(signature = (code, qty, price = None))]
    fn sell(&mut self, code: &str, qty: i64, price: Option<i64>) -> PyResult<()> {
        self.order(code, Side::Sell, qty, price)
    }

    /// Asks to cancel the working order `client_id` (from `Order.client_id`).
    fn cancel(&mut self, client_id: &str) -> PyResult<()> {
        self.check()?;
        let id = ClientOrderId::new_checked(client_id).map_err(|e| ValidationError::new_err(e.to_string()))?;
        self.pending.push(Pending::Cancel(id));
        Ok(())
    }

    fn __repr__(&self) -> String {
        if self.active {
            format!("Context(cash={}, equity={}, positions={})", self.cash, self.equity, self.positions.len())
        } else {
            "Context(inactive)".into()
        }
    }
}

/// The Python hooks a strategy overrides (`None` for the base class's no-ops).
pub(crate) struct Hooks<'py> {
    pub on_start: Option<Bound<'py, PyAny>>,
    pub on_bar: Bound<'py, PyAny>,
    pub on_fill: Option<Bound<'py, PyAny>>,
    pub on_order_update: Option<Bound<'py, PyAny>>,
    pub on_day_end: Option<Bound<'py, PyAny>>,
    pub on_stop: Option<Bound<'py, PyAny>>,
}

/// The hooks, held without the GIL.
struct StoredHooks {
    on_start: Option<Py<PyAny>>,
    on_bar: Py<PyAny>,
    on_tick: Option<Py<PyAny>>,
    on_fill: Option<Py<PyAny>>,
    on_order_update: Option<Py<PyAny>>,
    on_day_end: Option<Py<PyAny>>,
    on_stop: Option<Py<PyAny>>,
}

/// How the adapter reaches the interpreter for a callback.
pub(crate) trait Gil {
    /// Runs `f` holding the GIL.
    fn with<R>(&self, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R;
}

/// A run that holds the GIL throughout (backtests): nothing to acquire.
impl Gil for Python<'_> {
    #[inline]
    fn with<R>(&self, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        f(*self)
    }
}

/// A run without the GIL (the trader): each callback acquires it, so the run itself can wait on
/// the network with the interpreter free.
pub(crate) struct Attach;

impl Gil for Attach {
    fn with<R>(&self, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        Python::attach(f)
    }
}

/// The adapter: a Python strategy behind the core trait.
pub(crate) struct PyStrategy<G: Gil> {
    gil: G,
    name: String,
    hooks: StoredHooks,
    ctx: Py<PyContext>,
    codes: HashMap<StockCode, Py<PyString>>,
    positions_changed: bool,
    failed: bool,
    error: Option<(&'static str, PyErr)>,
    sink: Option<Arc<ErrorSink>>,
}

/// Where an adapter that a runner owns (the trader) leaves the first exception a hook raised, and
/// the flag it raises so the runner stops at once.
pub(crate) struct ErrorSink {
    flag: Arc<AtomicBool>,
    error: Mutex<Option<(&'static str, PyErr)>>,
}

impl ErrorSink {
    /// A sink raising `flag` on the first error.
    pub(crate) fn new(flag: Arc<AtomicBool>) -> Self {
        Self { flag, error: Mutex::new(None) }
    }

    fn put(&self, hook: &'static str, e: PyErr) {
        let mut slot = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert((hook, e));
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether a hook raised.
    pub(crate) fn failed(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The first exception, with the name of the hook that raised it.
    pub(crate) fn take(&self) -> Option<(&'static str, PyErr)> {
        self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

impl<'py> PyStrategy<Python<'py>> {
    /// An adapter over `hooks` for a run holding the GIL, reported under `name`.
    pub(crate) fn new(py: Python<'py>, name: String, hooks: Hooks<'py>) -> PyResult<Self> {
        PyStrategy::with_gil(py, py, name, hooks)
    }
}

impl<G: Gil> PyStrategy<G> {
    /// An adapter over `hooks` reaching the interpreter through `gil`, reported under `name`.
    pub(crate) fn with_gil(py: Python<'_>, gil: G, name: String, hooks: Hooks<'_>) -> PyResult<Self> {
        let hooks = StoredHooks {
            on_start: hooks.on_start.map(Bound::unbind),
            on_bar: hooks.on_bar.unbind(),
            on_tick: None,
            on_fill: hooks.on_fill.map(Bound::unbind),
            on_order_update: hooks.on_order_update.map(Bound::unbind),
            on_day_end: hooks.on_day_end.map(Bound::unbind),
            on_stop: hooks.on_stop.map(Bound::unbind),
        };
        Ok(Self {
            gil,
            name,
            hooks,
            ctx: Py::new(py, PyContext::new())?,
            codes: HashMap::new(),
            positions_changed: true,
            failed: false,
            error: None,
            sink: None,
        })
    }

    /// Also calls `on_tick` for every print (the trader has prints; backtests have bars only).
    #[must_use]
    pub(crate) fn with_on_tick(mut self, on_tick: Option<Bound<'_, PyAny>>) -> Self {
        self.hooks.on_tick = on_tick.map(Bound::unbind);
        self
    }

    /// Leaves the first exception in `sink` (and raises its flag) instead of keeping it.
    #[must_use]
    pub(crate) fn with_error_sink(mut self, sink: Arc<ErrorSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The first exception a hook raised, if any.
    pub(crate) fn take_error(&mut self) -> Option<PyErr> {
        self.error.take().map(|(_, e)| e)
    }

    fn fail(&mut self, hook: &'static str, e: PyErr) {
        self.failed = true;
        match &self.sink {
            Some(sink) => sink.put(hook, e),
            None => self.error = Some((hook, e)),
        }
    }

    /// Calls one hook: opens the context on the engine's state, runs `f`, and hands the orders
    /// it asked for to the engine (unless it raised).
    fn call(
        &mut self,
        ctx: &mut Context<'_>,
        hook: &'static str,
        f: impl for<'a> FnOnce(Python<'a>, &Self) -> PyResult<()>,
    ) {
        if self.failed {
            return;
        }
        let positions_changed = std::mem::take(&mut self.positions_changed);
        let this = &*self;
        let outcome = this.gil.with(|py| {
            let c = this.ctx.bind(py);
            // The context is never borrowed between hooks (Python cannot keep a borrow past a
            // method call), so these borrows succeed; failing one ends the run with an error
            // rather than a panic.
            c.try_borrow_mut()?.open(ctx, positions_changed);
            let result = f(py, this);
            let mut c = c.try_borrow_mut()?;
            c.active = false;
            let pending = std::mem::take(&mut c.pending);
            result.map(|()| pending)
        });
        match outcome {
            Ok(pending) => {
                for p in pending {
                    match p {
                        Pending::Submit(req) => {
                            ctx.submit(req);
                        }
                        Pending::Cancel(id) => ctx.cancel(&id),
                    }
                }
            }
            Err(e) => self.fail(hook, e),
        }
    }

    /// The interned Python string of `code` (one per code for the whole run).
    fn code(&mut self, code: StockCode) -> Py<PyString> {
        let Self { gil, codes, .. } = self;
        gil.with(|py| codes.entry(code).or_insert_with(|| PyString::new(py, code.as_str()).unbind()).clone_ref(py))
    }

    /// Calls an optional hook taking only the context.
    fn call_plain(&mut self, ctx: &mut Context<'_>, hook: &'static str, pick: fn(&StoredHooks) -> &Option<Py<PyAny>>) {
        if pick(&self.hooks).is_some() {
            self.call(ctx, hook, |py, s| match pick(&s.hooks) {
                Some(h) => h.bind(py).call1((s.ctx.bind(py),)).map(drop),
                None => Ok(()),
            });
        }
    }
}

impl<G: Gil> Strategy for PyStrategy<G> {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_start(&mut self, ctx: &mut Context<'_>) {
        self.call_plain(ctx, "on_start", |h| &h.on_start);
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        if self.failed {
            return;
        }
        let b = *bar;
        let code = self.code(b.code);
        self.call(ctx, "on_bar", |py, s| {
            let b = Bound::new(
                py,
                PyBar {
                    code,
                    ts: ts_to_ns(b.ts),
                    open: b.open.won(),
                    high: b.high.won(),
                    low: b.low.won(),
                    close: b.close.won(),
                    volume: b.volume,
                },
            )?;
            s.hooks.on_bar.bind(py).call1((s.ctx.bind(py), b)).map(drop)
        });
    }

    fn on_tick(&mut self, ctx: &mut Context<'_>, tick: &Tick) {
        if self.hooks.on_tick.is_none() || self.failed {
            return;
        }
        let t = *tick;
        let code = self.code(t.code);
        self.call(ctx, "on_tick", |py, s| match &s.hooks.on_tick {
            Some(h) => {
                let pt = Bound::new(py, PyTick { code, ts: ts_to_ns(t.ts), price: t.price.won(), qty: t.qty })?;
                h.bind(py).call1((s.ctx.bind(py), pt)).map(drop)
            }
            None => Ok(()),
        });
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        self.positions_changed = true;
        if self.hooks.on_fill.is_some() {
            self.call(ctx, "on_fill", |py, s| match &s.hooks.on_fill {
                Some(h) => h.bind(py).call1((s.ctx.bind(py), Bound::new(py, PyFill::from(fill))?)).map(drop),
                None => Ok(()),
            });
        }
    }

    fn on_order_update(&mut self, ctx: &mut Context<'_>, order: &Order) {
        if self.hooks.on_order_update.is_some() {
            self.call(ctx, "on_order_update", |py, s| match &s.hooks.on_order_update {
                Some(h) => h.bind(py).call1((s.ctx.bind(py), Bound::new(py, PyOrder::from(order))?)).map(drop),
                None => Ok(()),
            });
        }
    }

    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        self.positions_changed = true;
        self.call_plain(ctx, "on_day_end", |h| &h.on_day_end);
    }

    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        self.call_plain(ctx, "on_stop", |h| &h.on_stop);
    }
}
