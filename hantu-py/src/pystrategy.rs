//! A Python object as a core [`Strategy`].
//!
//! The engine calls the adapter; the adapter calls the Python hooks with a [`PyBar`] and the
//! run's one [`PyContext`]. The context holds a snapshot of cash and positions taken just before
//! the call, and buffers the orders the hook asks for; after the hook returns the adapter hands
//! them to the core context, which assigns ids and queues them for risk checks. The context is
//! only usable during a hook (it refuses calls afterwards), so a strategy cannot act on stale
//! state. The GIL is held for the whole run.
//!
//! The first exception a hook raises is kept, no further hooks are called, and the run raises
//! it when it ends.

use std::collections::HashMap;

use chrono::Datelike;

use hantu_core::domain::{
    Bar, ClientOrderId, Fill, Money, Order, OrderKind, OrderRequest, Price, Qty, Side, StockCode, TimeInForce,
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
#[pyclass(name = "Context", module = "hantu", unsendable)]
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

/// The adapter: a Python strategy behind the core trait.
pub(crate) struct PyStrategy<'py> {
    py: Python<'py>,
    name: String,
    hooks: Hooks<'py>,
    ctx: Bound<'py, PyContext>,
    codes: HashMap<StockCode, Py<PyString>>,
    positions_changed: bool,
    error: Option<PyErr>,
}

impl<'py> PyStrategy<'py> {
    /// An adapter over `hooks`, reported under `name`.
    pub(crate) fn new(py: Python<'py>, name: String, hooks: Hooks<'py>) -> PyResult<Self> {
        Ok(Self {
            py,
            name,
            hooks,
            ctx: Bound::new(py, PyContext::new())?,
            codes: HashMap::new(),
            positions_changed: true,
            error: None,
        })
    }

    /// The first exception a hook raised, if any.
    pub(crate) fn take_error(&mut self) -> Option<PyErr> {
        self.error.take()
    }

    fn call(&mut self, ctx: &mut Context<'_>, f: impl FnOnce(&Self) -> PyResult<()>) {
        if self.error.is_some() {
            return;
        }
        // The context is never borrowed between hooks (Python cannot keep a borrow past a
        // method call), so these borrows succeed; failing one ends the run with an error
        // rather than a panic.
        match self.ctx.try_borrow_mut() {
            Ok(mut c) => c.open(ctx, std::mem::take(&mut self.positions_changed)),
            Err(e) => {
                self.error = Some(e.into());
                return;
            }
        }
        let result = f(self);
        let pending = match self.ctx.try_borrow_mut() {
            Ok(mut c) => {
                c.active = false;
                std::mem::take(&mut c.pending)
            }
            Err(e) => {
                self.error = Some(e.into());
                return;
            }
        };
        for p in pending {
            match p {
                Pending::Submit(req) => {
                    ctx.submit(req);
                }
                Pending::Cancel(id) => ctx.cancel(&id),
            }
        }
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn code(&mut self, code: StockCode) -> Py<PyString> {
        let py = self.py;
        self.codes.entry(code).or_insert_with(|| PyString::new(py, code.as_str()).unbind()).clone_ref(py)
    }
}

impl Strategy for PyStrategy<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_start(&mut self, ctx: &mut Context<'_>) {
        if self.hooks.on_start.is_some() {
            self.call(ctx, |s| s.hooks.on_start.as_ref().map_or(Ok(()), |h| h.call1((&s.ctx,)).map(drop)));
        }
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar) {
        if self.error.is_some() {
            return;
        }
        let b = PyBar {
            code: self.code(bar.code),
            ts: ts_to_ns(bar.ts),
            open: bar.open.won(),
            high: bar.high.won(),
            low: bar.low.won(),
            close: bar.close.won(),
            volume: bar.volume,
        };
        self.call(ctx, |s| {
            let b = Bound::new(s.py, b)?;
            s.hooks.on_bar.call1((&s.ctx, b)).map(drop)
        });
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        self.positions_changed = true;
        if self.hooks.on_fill.is_some() {
            self.call(ctx, |s| match &s.hooks.on_fill {
                Some(h) => h.call1((&s.ctx, Bound::new(s.py, PyFill::from(fill))?)).map(drop),
                None => Ok(()),
            });
        }
    }

    fn on_order_update(&mut self, ctx: &mut Context<'_>, order: &Order) {
        if self.hooks.on_order_update.is_some() {
            self.call(ctx, |s| match &s.hooks.on_order_update {
                Some(h) => h.call1((&s.ctx, Bound::new(s.py, PyOrder::from(order))?)).map(drop),
                None => Ok(()),
            });
        }
    }

    fn on_day_end(&mut self, ctx: &mut Context<'_>) {
        self.positions_changed = true;
        if self.hooks.on_day_end.is_some() {
            self.call(ctx, |s| s.hooks.on_day_end.as_ref().map_or(Ok(()), |h| h.call1((&s.ctx,)).map(drop)));
        }
    }

    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        if self.hooks.on_stop.is_some() {
            self.call(ctx, |s| s.hooks.on_stop.as_ref().map_or(Ok(()), |h| h.call1((&s.ctx,)).map(drop)));
        }
    }
}
