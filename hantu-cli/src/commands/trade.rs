//! `hantu trade balance | positions | orders | quote | buy | sell | cancel`, and the trader:
//! `hantu trade start | stop | pause | resume | status` (in `trade_start` and `trade_control`).

use anyhow::Context as _;
use clap::{Args, Subcommand};
use hantu_core::broker::{Broker, BrokerError};
use hantu_core::data::MarketData;
use hantu_core::domain::{
    ClientOrderId, Fill, Money, Order, OrderKind, OrderRequest, OrderStatus, Portfolio, Price, Qty, Side, StockCode,
    TimeInForce,
};
use hantu_core::krx::FeeModel;
use hantu_core::risk::{InstrumentRisk, RiskManager, RiskView};
use hantu_core::store::Store as _;
use serde_json::json;

use super::kis::{Kis, connect, runtime};
use super::{Ctx, ExitStatus};
use crate::output::won;

/// Trade through KIS (real or paper, from `kis.env`), or `--sandbox` against a local KIS server.
#[derive(Debug, Args)]
pub struct TradeArgs {
    /// Start and use a local KIS server (no account or credentials needed)
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: TradeCommand,
}

/// Trade subcommands.
#[derive(Debug, Subcommand)]
pub enum TradeCommand {
    /// Cash, buying power and total equity
    Balance,
    /// Holdings
    Positions,
    /// Today's orders
    Orders,
    /// The current price of a stock
    Quote {
        /// Stock code, e.g. 005930
        code: String,
    },
    /// Buy shares (market order, or limit with --price); checked by the risk manager, journaled first
    Buy(OrderArgs),
    /// Sell shares (market order, or limit with --price)
    Sell(OrderArgs),
    /// Cancel an order by its KIS order number
    Cancel {
        /// KIS order number (ODNO)
        order_no: String,
    },
    /// Start the trader in the foreground: strategies or today's picks, live or on paper
    Start(super::trade_start::StartArgs),
    /// Ask a running trader to stop (with --flatten: cancel everything and sell everything first)
    Stop {
        /// Cancel every working order and sell every holding at market before stopping
        #[arg(long)]
        flatten: bool,
    },
    /// Pause new entries (exits and stops keep working)
    Pause,
    /// Resume new entries
    Resume,
    /// The trader's state, positions, working orders and today's P&L
    Status,
}

/// A new order.
#[derive(Debug, Args)]
pub struct OrderArgs {
    /// Stock code, e.g. 005930
    pub code: String,
    /// Shares
    pub qty: i64,
    /// Limit price in won (on the tick grid); market order without it
    #[arg(long)]
    pub price: Option<i64>,
}

/// Runs a trade command.
pub fn run(args: &TradeArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    match &args.command {
        TradeCommand::Start(a) => return super::trade_start::run(a, args.sandbox, ctx),
        TradeCommand::Stop { flatten } => return super::trade_control::stop(*flatten, ctx),
        TradeCommand::Pause => return super::trade_control::pause(ctx),
        TradeCommand::Resume => return super::trade_control::resume(ctx),
        TradeCommand::Status => return super::trade_control::status(ctx),
        _ => {}
    }
    runtime()?.block_on(async {
        let kis = connect(ctx, args.sandbox).await?;
        let result = dispatch(&args.command, &kis, ctx).await;
        if let Ok(store) = super::open_store(ctx) {
            if let Err(e) = kis.record_calls(&store) {
                tracing::warn!(error = %e, "Could not record the API calls");
            }
        }
        kis.close().await;
        result
    })
}

async fn dispatch(cmd: &TradeCommand, kis: &Kis, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let out = &ctx.out;
    let b = &kis.broker;
    match cmd {
        TradeCommand::Balance => {
            let bal = b.balance().await?;
            if out.json {
                out.print_json(&bal)?;
            } else {
                out.print_table(
                    &["cash", "buying power", "total equity"],
                    vec![vec![won(bal.cash.to_won()), won(bal.buying_power.to_won()), won(bal.total_equity.to_won())]],
                )?;
            }
        }
        TradeCommand::Positions => {
            let pos = b.positions().await?;
            if out.json {
                out.print_json(&pos)?;
            } else {
                out.print_table(
                    &["code", "shares", "sellable", "avg price", "last"],
                    pos.iter()
                        .map(|p| {
                            vec![
                                p.code.to_string(),
                                p.qty.to_string(),
                                p.sellable.to_string(),
                                p.avg_price.to_string(),
                                p.last_price.map(|x| won(x.won())).unwrap_or_default(),
                            ]
                        })
                        .collect(),
                )?;
            }
        }
        TradeCommand::Orders => {
            let orders = b.orders_today().await?;
            if out.json {
                out.print_json(&orders)?;
            } else {
                out.print_table(
                    &["order no", "code", "side", "type", "qty", "filled", "avg price", "status"],
                    orders
                        .iter()
                        .map(|o| {
                            vec![
                                o.broker_id.clone(),
                                o.code.to_string(),
                                o.side.to_string(),
                                o.kind.limit_price().map_or_else(|| "market".into(), |p| format!("limit {p}")),
                                o.qty.to_string(),
                                o.filled_qty.to_string(),
                                o.avg_price.map(|p| format!("{p:.0}")).unwrap_or_default(),
                                o.status.as_str().into(),
                            ]
                        })
                        .collect(),
                )?;
            }
        }
        TradeCommand::Quote { code } => {
            let code: StockCode = code.parse().context("stock code")?;
            let q = b.quote(code).await?;
            if out.json {
                out.print_json(&q)?;
            } else {
                out.print_table(
                    &["code", "last", "bid", "ask", "prev close", "volume"],
                    vec![vec![
                        q.code.to_string(),
                        won(q.last.won()),
                        q.bid.map(|p| won(p.won())).unwrap_or_default(),
                        q.ask.map(|p| won(p.won())).unwrap_or_default(),
                        q.prev_close.map(|p| won(p.won())).unwrap_or_default(),
                        q.volume.to_string(),
                    ]],
                )?;
            }
        }
        TradeCommand::Buy(a) => return place(kis, ctx, Side::Buy, a).await,
        TradeCommand::Sell(a) => return place(kis, ctx, Side::Sell, a).await,
        TradeCommand::Start(_)
        | TradeCommand::Stop { .. }
        | TradeCommand::Pause
        | TradeCommand::Resume
        | TradeCommand::Status => {
            anyhow::bail!("trader commands are handled before connecting")
        }
        TradeCommand::Cancel { order_no } => match b.cancel(order_no).await {
            Ok(()) => out.line(format!("cancelled {order_no}"))?,
            Err(BrokerError::Rejected { code, reason }) => {
                eprintln!("cancel rejected{}: {reason}", code.map(|c| format!(" ({c})")).unwrap_or_default());
                return Ok(ExitStatus::Failure);
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(ExitStatus::Success)
}

/// The account as the broker reports it, as a portfolio the risk manager can check against.
async fn portfolio(kis: &Kis) -> anyhow::Result<Portfolio> {
    let bal = kis.broker.balance().await?;
    let held = kis.broker.positions().await?;
    let invested: Money =
        held.iter().map(|p| Money::new(p.avg_price.get() * rust_decimal::Decimal::from(p.qty.get()))).sum();
    let mut pf = Portfolio::new(bal.buying_power + invested);
    for p in held {
        let price = Price::new_checked(p.avg_price.to_won().max(1))?;
        let fill = Fill {
            client_id: ClientOrderId::new_checked("broker-holding")?,
            code: p.code,
            side: Side::Buy,
            qty: p.qty,
            price,
            commission: Money::ZERO,
            tax: Money::ZERO,
            ts: hantu_core::domain::Timestamp::default(),
        };
        pf.apply_fill(&fill, chrono::NaiveDate::default())?;
        if let Some(last) = p.last_price {
            pf.mark(p.code, last);
        }
    }
    Ok(pf)
}

async fn place(kis: &Kis, ctx: &Ctx, side: Side, a: &OrderArgs) -> anyhow::Result<ExitStatus> {
    let code: StockCode = a.code.parse().context("stock code")?;
    let qty = Qty::new_checked(a.qty)?;
    let kind = match a.price {
        Some(p) => OrderKind::Limit(Price::new_checked(p)?),
        None => OrderKind::Market,
    };
    let request = OrderRequest::new_checked(code, side, qty, kind, TimeInForce::Day)?;
    let quote = kis.broker.quote(code).await?;
    let pf = portfolio(kis).await?;
    let store = super::open_store(ctx)?;
    let now = hantu_core::clock::Clock::now(&hantu_core::clock::LiveClock);
    let prefix = format!("cli{}", now.millis());
    let order = Order::new(ClientOrderId::from_seq(&prefix, 1), request, now);
    store.journal_order(&order)?;
    let fees = FeeModel { commission_rate: ctx.cfg.config.backtest.commission_rate, tax: true };
    let no_sector = |_c: StockCode| -> Option<&str> { None };
    let view = RiskView {
        now,
        portfolio: &pf,
        open_orders: &[],
        instrument: InstrumentRisk {
            market: hantu_core::domain::Market::Kospi,
            kind: hantu_core::domain::InstrumentKind::Stock,
            sector: None,
            reference: quote.prev_close.or(Some(quote.last)),
        },
        sector_of: &no_sector,
        fees: &fees,
    };
    let risk = RiskManager::new(ctx.cfg.config.risk.clone());
    let approved = match risk.check(order, &view) {
        Ok(a) => a,
        Err(refusal) => {
            let mut o = *refusal.order;
            o.transition(OrderStatus::Rejected, now)?;
            o.reason = Some(refusal.reason.to_string());
            store.update_order(&o)?;
            report(ctx, &o, "refused by risk")?;
            return Ok(ExitStatus::Failure);
        }
    };
    let mut order = approved.order().clone();
    match kis.broker.place(&approved).await {
        Ok(ack) => {
            order.transition(OrderStatus::Accepted, ack.ts)?;
            order.broker_id = Some(ack.broker_id);
            store.update_order(&order)?;
            report(ctx, &order, "accepted")?;
            Ok(ExitStatus::Success)
        }
        Err(BrokerError::Unknown { reason, .. }) => {
            // Never resend: the order may have reached KIS. It stays PendingNew in the journal.
            eprintln!("outcome unknown ({reason}); check `hantu trade orders` before trying again");
            Ok(ExitStatus::Failure)
        }
        Err(e) => {
            order.transition(OrderStatus::Rejected, now)?;
            order.reason = Some(e.to_string());
            store.update_order(&order)?;
            report(ctx, &order, "rejected by the broker")?;
            Ok(ExitStatus::Failure)
        }
    }
}

fn report(ctx: &Ctx, o: &Order, what: &str) -> anyhow::Result<()> {
    if ctx.out.json {
        return ctx.out.print_json(&json!({
            "client_id": o.client_id.to_string(),
            "order_no": o.broker_id,
            "status": o.status.as_str(),
            "reason": o.reason,
            "code": o.request.code.to_string(),
            "side": o.request.side.as_str(),
            "qty": o.request.qty.get(),
            "price": o.request.kind.limit_price().map(Price::won),
        }));
    }
    ctx.out.line(format!(
        "{} {} {} × {} ({}): {what}{}{}",
        o.client_id,
        o.request.side,
        o.request.code,
        o.request.qty,
        o.request.kind.limit_price().map_or_else(|| "market".into(), |p| format!("limit {p}")),
        o.broker_id.as_ref().map(|b| format!(", order no {b}")).unwrap_or_default(),
        o.reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default(),
    ))?;
    if o.status == OrderStatus::Rejected {
        eprintln!("order {} rejected: {}", o.client_id, o.reason.as_deref().unwrap_or(""));
    }
    Ok(())
}
