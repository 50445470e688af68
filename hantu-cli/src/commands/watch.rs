//! `hantu watch CODES…`: the live feed as a table updating in place (last, change, volume, best
//! bid/ask, with reconnects and gaps shown), or as JSON lines with `--json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use hantu_core::data::MarketData as _;
use hantu_core::domain::{Price, StockCode};
use hantu_core::realtime::{Channel, Feed, FeedEvent, Subscription};
use hantu_kis::ws::{FeedConfig, KisFeed};
use serde::Serialize;

use super::{Ctx, ExitStatus};

/// Watch live trades (and with --book, the best bid/ask) of some stocks.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Stock codes (6 characters each)
    #[arg(required = true, value_name = "CODE")]
    pub codes: Vec<String>,
    /// Also subscribe to the 10-level book (best bid/ask columns; two registrations per code)
    #[arg(long)]
    pub book: bool,
    /// Watch a local KIS server instead of KIS
    #[arg(long)]
    pub sandbox: bool,
    /// Stop after this many seconds [default: until Ctrl-C]
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Stop after this many trades
    #[arg(long, value_name = "N")]
    pub max_trades: Option<u64>,
}

/// One code's row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Last trade price.
    pub last: Option<i64>,
    /// Previous close (from a quote at start).
    pub prev_close: Option<i64>,
    /// The day's cumulative volume.
    pub volume: u64,
    /// Best bid.
    pub bid: Option<i64>,
    /// Best ask.
    pub ask: Option<i64>,
    /// Trades seen.
    pub trades: u64,
}

/// The state the table shows, folded from feed events.
#[derive(Clone, Debug, Default)]
pub struct Board {
    /// Rows by code.
    pub rows: BTreeMap<StockCode, Row>,
    /// Connection state for people.
    pub status: String,
    /// Reconnects so far.
    pub reconnects: u32,
    /// Gaps reported and trades recovered.
    pub gaps: u64,
    /// Trades recovered over REST.
    pub recovered: u64,
    /// The last notable event (gap, reconnect, malformed frame), for the status line.
    pub last_note: String,
}

impl Board {
    /// Folds one event in.
    pub fn apply(&mut self, ev: &FeedEvent) {
        match ev {
            FeedEvent::Trade(t) => {
                let r = self.rows.entry(t.tick.code).or_default();
                r.last = Some(t.tick.price.won());
                r.volume = r.volume.max(t.cum_volume);
                r.trades += 1;
            }
            FeedEvent::Book(b) => {
                let r = self.rows.entry(b.code).or_default();
                r.bid = b.bids.first().map(|l| l.price.won());
                r.ask = b.asks.first().map(|l| l.price.won());
            }
            FeedEvent::Connected { attempt } => {
                self.status = "connected".into();
                self.reconnects = *attempt;
                if *attempt > 0 {
                    self.last_note = format!("reconnected (#{attempt})");
                }
            }
            FeedEvent::Disconnected { reason } => {
                self.status = "reconnecting".into();
                self.last_note = format!("disconnected: {reason}");
            }
            FeedEvent::Gap(g) => {
                if let Some(code) = g.code {
                    self.gaps += 1;
                    self.recovered += g.recovered;
                    self.last_note = format!("gap in {code}: {} trades recovered", g.recovered);
                }
            }
            FeedEvent::Lagging { dropped_books } => self.last_note = format!("slow: {dropped_books} books dropped"),
            FeedEvent::Unsubscribed { subscription, reason } => {
                self.last_note = format!("{:?} {:?} ended: {reason}", subscription.channel, subscription.code);
            }
            FeedEvent::Malformed { field, reason } => self.last_note = format!("malformed frame ({field}): {reason}"),
            FeedEvent::Notice(_) => {}
        }
    }

    /// The table as lines of text (header, rows, status).
    #[must_use]
    pub fn render(&self) -> Vec<String> {
        let fmt = |p: Option<i64>| p.map_or_else(|| "-".to_owned(), |v| v.to_string());
        let mut lines = vec![format!(
            "{:<8} {:>10} {:>9} {:>8} {:>12} {:>10} {:>10}",
            "code", "last", "change", "%", "volume", "bid", "ask"
        )];
        for (code, r) in &self.rows {
            let (chg, pct) = match (r.last, r.prev_close) {
                (Some(l), Some(p)) if p > 0 => {
                    (format!("{:+}", l - p), format!("{:+.2}", (l - p) as f64 * 100.0 / p as f64))
                }
                _ => ("-".into(), "-".into()),
            };
            lines.push(format!(
                "{:<8} {:>10} {:>9} {:>8} {:>12} {:>10} {:>10}",
                code.as_str(),
                fmt(r.last),
                chg,
                pct,
                r.volume,
                fmt(r.bid),
                fmt(r.ask)
            ));
        }
        lines.push(format!(
            "[{}] reconnects {} · gaps {} ({} trades recovered){}",
            if self.status.is_empty() { "connecting" } else { &self.status },
            self.reconnects,
            self.gaps,
            self.recovered,
            if self.last_note.is_empty() { String::new() } else { format!(" · {}", self.last_note) }
        ));
        lines
    }
}

fn parse_codes(codes: &[String]) -> anyhow::Result<Vec<StockCode>> {
    let mut bad = Vec::new();
    let mut out = Vec::new();
    for c in codes.iter().flat_map(|c| c.split(',')).filter(|c| !c.is_empty()) {
        match StockCode::new_checked(c) {
            Ok(code) => out.push(code),
            Err(_) => bad.push(c.to_owned()),
        }
    }
    anyhow::ensure!(bad.is_empty(), "not stock codes: {}", bad.join(", "));
    Ok(out)
}

/// Runs the watch until Ctrl-C, `--duration` or `--max-trades`.
pub fn run(args: &WatchArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let codes = parse_codes(&args.codes)?;
    let rt = super::kis::runtime()?;
    rt.block_on(watch(args, ctx, &codes))
}

async fn watch(args: &WatchArgs, ctx: &Ctx, codes: &[StockCode]) -> anyhow::Result<ExitStatus> {
    let kis =
        if args.sandbox { super::kis::connect_live_local(ctx).await? } else { super::kis::connect(ctx, false).await? };
    let client = kis.broker.client().clone();
    let mut config = FeedConfig::for_client(&client);
    if let Some(url) = kis.ws_url() {
        config = config.with_ws_url(url);
    }
    let mut feed = KisFeed::connect(client, config).await.context("opening the KIS WebSocket")?;
    let mut board = Board::default();
    for &code in codes {
        if let Ok(q) = kis.broker.quote(code).await {
            let r = board.rows.entry(code).or_default();
            r.prev_close = q.prev_close.map(Price::won);
            r.last = Some(q.last.won());
            r.volume = q.volume;
            r.bid = q.bid.map(Price::won);
            r.ask = q.ask.map(Price::won);
        }
        feed.subscribe(Subscription { channel: Channel::Trades, code: Some(code), priority: 5 })
            .await
            .with_context(|| format!("subscribing to trades of {code}"))?;
        if args.book {
            feed.subscribe(Subscription { channel: Channel::Book, code: Some(code), priority: 1 })
                .await
                .with_context(|| format!("subscribing to the book of {code}"))?;
        }
    }
    let deadline = args.duration.map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let mut trades = 0u64;
    let mut drawn = 0usize;
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let json = ctx.out.json;
    loop {
        let next = async {
            match deadline {
                Some(d) => tokio::time::timeout_at(d, feed.next_event()).await.ok().flatten(),
                None => feed.next_event().await,
            }
        };
        let ev = tokio::select! {
            ev = next => ev,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(ev) = ev else { break };
        if matches!(ev, FeedEvent::Trade(_)) {
            trades += 1;
        }
        board.apply(&ev);
        if json {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer(&mut out, &ev)?;
            writeln!(out)?;
        } else if last_draw.elapsed() >= Duration::from_millis(200)
            || !matches!(ev, FeedEvent::Trade(_) | FeedEvent::Book(_))
        {
            drawn = draw(&board, drawn, ctx.out.tty)?;
            last_draw = Instant::now();
        }
        if args.max_trades.is_some_and(|m| trades >= m) {
            break;
        }
    }
    if !json {
        draw(&board, drawn, ctx.out.tty)?;
    }
    let stats = feed.stats();
    tracing::info!(
        trades,
        reconnects = stats.reconnects,
        gaps = stats.gaps,
        recovered = stats.recovered,
        "Watch ended"
    );
    feed.close().await;
    kis.close().await;
    Ok(ExitStatus::Success)
}

/// Redraws the table in place on a terminal (moving the cursor up over the previous drawing);
/// elsewhere prints it once per call. Returns the lines drawn.
fn draw(board: &Board, previous: usize, tty: bool) -> anyhow::Result<usize> {
    let lines = board.render();
    let mut out = std::io::stdout().lock();
    if tty && previous > 0 {
        write!(out, "\x1b[{previous}A")?;
    }
    for l in &lines {
        if tty {
            writeln!(out, "\x1b[2K{l}")?;
        } else {
            writeln!(out, "{l}")?;
        }
    }
    out.flush()?;
    Ok(lines.len())
}

#[cfg(test)]
mod tests {
    use hantu_core::domain::{Tick, Timestamp};
    use hantu_core::realtime::{Gap, Trade};

    use super::*;

    #[test]
    fn the_board_shows_trades_reconnects_and_gaps() {
        let code = StockCode::new("005930");
        let mut b = Board::default();
        b.rows.entry(code).or_default().prev_close = Some(70_000);
        let t = Trade {
            tick: Tick { code, ts: Timestamp::from_millis(0), price: Price::new(70_700), qty: 3 },
            cum_volume: 99,
        };
        for ev in [
            FeedEvent::Connected { attempt: 0 },
            FeedEvent::Trade(t),
            FeedEvent::Disconnected { reason: "closed by the server".into() },
            FeedEvent::Connected { attempt: 1 },
            FeedEvent::Gap(Gap { code: Some(code), from: t.tick.ts, to: t.tick.ts, recovered: 4 }),
        ] {
            b.apply(&ev);
        }
        let lines = b.render();
        assert!(lines[1].contains("70700") && lines[1].contains("+700") && lines[1].contains("+1.00"), "{}", lines[1]);
        assert!(lines[2].contains("reconnects 1") && lines[2].contains("gaps 1 (4 trades recovered)"), "{}", lines[2]);
    }

    #[test]
    fn bad_codes_are_listed_together() {
        let err = parse_codes(&["005930,12".into(), "abc".into()]).unwrap_err().to_string();
        assert!(err.contains("12") && err.contains("abc"), "{err}");
    }
}
