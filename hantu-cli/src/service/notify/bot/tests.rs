//! The bot against a fake Telegram Bot API on 127.0.0.1, with its effects read back through
//! `hantu_core::control` (what the trader reads).

use std::sync::Arc;
use std::time::Duration;

use hantu_core::control::{self, ControlState, FORCE_EXIT_KEY, TraderStatus};
use hantu_core::domain::{ClientOrderId, Fill, Money, Position, Price, Qty, Side, Timestamp};
use hantu_core::notify::Lang;
use hantu_core::store::{SqliteStore, Store};

use super::{AUDIT_SOURCE, BotConfig, OFFSET_KEY};
use crate::config::Secret;
use crate::service::notify::delivery::now;
use crate::service::notify::telegram::TelegramApi;
use crate::service::notify::tests::{TOKEN, fake};

const OWNER: i64 = 42;
const STRANGER: i64 = 666;

fn cfg(lang: Lang) -> BotConfig {
    BotConfig { allowed: vec![OWNER], poll_timeout: Duration::from_secs(1), lang }
}

/// Runs the bot until `replies` messages were sent to `chat` (or 30 s passed), then stops it.
async fn run_until(tg: &fake::Telegram, store: &Arc<dyn Store>, lang: Lang, total_replies: usize) {
    let api = TelegramApi::new(reqwest::Client::new(), &tg.url, Secret::new(TOKEN));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(super::run(api, Arc::clone(store), cfg(lang), async {
        let _ = stopped.await;
    }));
    for _ in 0..600 {
        if tg.sent().len() >= total_replies && tg.drained() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("the bot stops").unwrap().unwrap();
}

fn audit(store: &dyn Store) -> Vec<hantu_core::store::EventRecord> {
    store.events_since(Timestamp::from_millis(0)).unwrap().into_iter().filter(|e| e.source == AUDIT_SOURCE).collect()
}

#[tokio::test]
async fn strangers_get_a_polite_refusal_and_nothing_else() {
    let tg = fake::Telegram::start(TOKEN).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    tg.say(STRANGER, "/pause");
    tg.say(STRANGER, "/forceexit all");
    tg.say(STRANGER, "/status");
    run_until(&tg, &store, Lang::En, 3).await;
    let replies = tg.texts_to(STRANGER);
    assert_eq!(replies, vec!["Sorry, this bot only answers its owners."; 3]);
    assert!(tg.texts_to(OWNER).is_empty());
    assert_eq!(control::control_state(store.as_ref()).unwrap(), ControlState::Running);
    assert_eq!(store.setting(FORCE_EXIT_KEY).unwrap(), None);
    let audit = audit(store.as_ref());
    assert_eq!(audit.len(), 3);
    assert!(audit.iter().all(|e| e.detail["allowed"] == false && e.detail["chat_id"] == STRANGER));
}

#[tokio::test]
async fn pause_resume_and_stop_set_the_flag_the_trader_reads() {
    let tg = fake::Telegram::start(TOKEN).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    tg.say(OWNER, "/pause");
    run_until(&tg, &store, Lang::Ko, 1).await;
    let state = control::control_state(store.as_ref()).unwrap();
    assert_eq!(state, ControlState::Paused);
    assert!(!state.allows_entries(), "a paused trader takes no new entries");
    let rec = control::read_control(store.as_ref()).unwrap().unwrap();
    assert_eq!(rec.by, format!("telegram:{OWNER}"));
    assert!(tg.texts_to(OWNER)[0].starts_with("일시정지"));

    tg.say(OWNER, "/resume");
    run_until(&tg, &store, Lang::Ko, 2).await;
    assert_eq!(control::control_state(store.as_ref()).unwrap(), ControlState::Running);

    tg.say(OWNER, "/stop");
    run_until(&tg, &store, Lang::Ko, 3).await;
    assert_eq!(control::control_state(store.as_ref()).unwrap(), ControlState::Stop { flatten: false });
    assert!(!hantu_core::store::emergency_stop(store.as_ref()).unwrap());

    // Selling everything waits for a confirmation.
    tg.say(OWNER, "/stop flatten");
    tg.say(OWNER, "/confirm");
    run_until(&tg, &store, Lang::Ko, 5).await;
    assert_eq!(control::control_state(store.as_ref()).unwrap(), ControlState::Stop { flatten: true });
    assert!(hantu_core::store::emergency_stop(store.as_ref()).unwrap());
    assert_eq!(audit(store.as_ref()).len(), 5);
}

#[tokio::test]
async fn forceexit_asks_first_and_cancel_drops_it() {
    let tg = fake::Telegram::start(TOKEN).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    tg.say(OWNER, "/forceexit all");
    tg.say(OWNER, "/cancel");
    tg.say(OWNER, "/forceexit 005930");
    tg.say(OWNER, "/confirm");
    run_until(&tg, &store, Lang::En, 4).await;
    let replies = tg.texts_to(OWNER);
    assert!(replies[0].contains("sell every holding at market") && replies[0].contains("/confirm"), "{}", replies[0]);
    assert_eq!(replies[1], "Dropped.");
    assert!(replies[2].contains("sell 005930 at market"), "{}", replies[2]);
    assert!(replies[3].starts_with("Force exit requested"), "{}", replies[3]);
    // Only the confirmed request reached the store: the cancelled "all" never did.
    let req = control::take_force_exit(store.as_ref()).unwrap().expect("requested");
    assert_eq!(req.codes, Some(vec!["005930".parse().unwrap()]));
    assert_eq!(req.by, format!("telegram:{OWNER}"));
    let requests = store
        .events_since(Timestamp::from_millis(0))
        .unwrap()
        .into_iter()
        .filter(|e| e.message.starts_with("force exit"))
        .count();
    assert_eq!(requests, 1);

    tg.say(OWNER, "/confirm");
    tg.say(OWNER, "/forceexit");
    tg.say(OWNER, "/frobnicate");
    run_until(&tg, &store, Lang::En, 7).await;
    let replies = tg.texts_to(OWNER);
    assert_eq!(replies[4], "Nothing is waiting for confirmation.");
    assert!(
        replies[5].starts_with("Sorry, I did not understand that (/forceexit needs a stock code"),
        "{}",
        replies[5]
    );
    assert!(
        replies[6].starts_with("Sorry, I did not understand that (/frobnicate is not a command)"),
        "{}",
        replies[6]
    );
    assert_eq!(store.setting(FORCE_EXIT_KEY).unwrap().as_deref(), Some(""), "taken once, not requested again");
}

#[tokio::test]
async fn the_read_commands_answer_from_the_traders_status_and_the_store() {
    let tg = fake::Telegram::start(TOKEN).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let t = now();
    let code = "005930".parse().unwrap();
    control::publish_status(
        store.as_ref(),
        &TraderStatus {
            mode: "paper".into(),
            strategy: "picks".into(),
            state: ControlState::Running,
            pid: 1,
            started_at: t,
            heartbeat: t,
            cash: Money::from_won(50_000_000),
            equity: Money::from_won(51_234_000),
            pnl_today: Money::from_won(234_000),
            positions: vec![Position {
                code,
                qty: Qty::from_shares(10),
                cost: Money::from_won(700_000),
                realized_pnl: Money::ZERO,
                last_price: Price::new(72_000),
                costs_paid: Money::ZERO,
            }],
            working_orders: vec![],
            last_error: None,
        },
    )
    .unwrap();
    // A round trip today: bought 10 at 70,000, sold 10 at 72,000.
    let fill = |side, price, dt: i64| Fill {
        client_id: ClientOrderId::from_seq("T", dt as u64),
        code,
        side,
        qty: Qty::from_shares(10),
        price: Price::new(price),
        commission: Money::from_won(100),
        tax: Money::ZERO,
        ts: Timestamp::from_millis(t.millis() - dt),
    };
    let order = |id: &str| {
        let req =
            hantu_core::domain::OrderRequest::limit(code, Side::Buy, Qty::from_shares(10), Price::new(70_000)).unwrap();
        hantu_core::domain::Order::new(ClientOrderId::new_checked(id).unwrap(), req, t)
    };
    for (id, f) in [("T2000", fill(Side::Buy, 70_000, 2_000)), ("T1000", fill(Side::Sell, 72_000, 1_000))] {
        let mut o = order(id);
        o.client_id = f.client_id.clone();
        store.journal_order(&o).unwrap();
        store.record_fill(&f).unwrap();
    }
    for c in ["/status", "/balance", "/positions", "/orders", "/picks", "/profit 1", "/daily", "/help"] {
        tg.say(OWNER, c);
    }
    run_until(&tg, &store, Lang::En, 8).await;
    let r = tg.texts_to(OWNER);
    assert_eq!(r.len(), 8);
    assert!(r[0].contains("Control: running") && r[0].contains("Trader: running (paper, picks)"), "{}", r[0]);
    assert!(r[1].contains("Equity 51,234,000") && r[1].contains("P&amp;L today 234,000"), "{}", r[1]);
    assert!(r[2].starts_with("005930 10주 @ 72,000"), "{}", r[2]);
    assert_eq!(r[3], "No working orders");
    assert!(r[4].starts_with("No picks for"), "{}", r[4]);
    // (720,000 − 700,100 − 100) = 19,800
    assert!(r[5].starts_with("Realised P&amp;L over 1 days: 19,800 KRW"), "{}", r[5]);
    assert!(r[6].starts_with("Daily report") && r[6].contains("Fills 2 · wins 1 · losses 0"), "{}", r[6]);
    assert!(r[7].starts_with("Commands"), "{}", r[7]);
}

#[tokio::test]
async fn a_restarted_bot_never_runs_a_command_twice() {
    let tg = fake::Telegram::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hantu.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    tg.say(OWNER, "/pause");
    run_until(&tg, &store, Lang::En, 1).await;
    let offset = store.setting(OFFSET_KEY).unwrap();
    assert_eq!(offset.as_deref(), Some("2"));
    // A new process on the same database, with nothing new to read.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    control::set_control(
        store.as_ref(),
        &control::ControlRecord { state: ControlState::Running, by: "cli".into(), at: now(), reason: None },
    )
    .unwrap();
    run_until(&tg, &store, Lang::En, 1).await;
    assert_eq!(tg.texts_to(OWNER).len(), 1);
    assert_eq!(control::control_state(store.as_ref()).unwrap(), ControlState::Running);
}

#[test]
fn commands_parse_with_bot_names_and_arguments() {
    use super::commands::{Command, parse};
    assert_eq!(parse("/pause@hantu_bot"), Command::Pause);
    assert_eq!(parse("/profit"), Command::Profit(7));
    assert_eq!(parse("/profit 30"), Command::Profit(30));
    assert!(matches!(parse("/profit 0"), Command::Unknown(_)));
    assert_eq!(
        parse("/forceexit 005930 000660"),
        Command::ForceExit(Some(vec!["005930".parse().unwrap(), "000660".parse().unwrap()]))
    );
    assert_eq!(parse("/FORCEEXIT ALL"), Command::ForceExit(None));
    assert!(matches!(parse("/forceexit samsung"), Command::Unknown(_)));
    assert!(matches!(parse("hello"), Command::Unknown(_)));
    assert!(matches!(parse("/pause now"), Command::Unknown(_)));
}
