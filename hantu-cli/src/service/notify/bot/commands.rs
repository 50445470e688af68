//! The bot's commands: parsing a message and doing what it asks through the store
//! (`hantu_core::control` for the trader's flag, force exits and published status), so the bot
//! works whether or not the trader runs in this process.

use hantu_core::control::{
    self, ControlRecord, ControlState, ForceExitRequest, TraderStatus, read_control, trader_status,
};
use hantu_core::domain::{StockCode, Timestamp};
use hantu_core::notify::template::{money, won};
use hantu_core::notify::{Lang, Notification};
use hantu_core::store::{Store, StoreError};

use super::profit::realised;
use crate::service::notify::daily::STALE_MS;

/// What a message asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/status`.
    Status,
    /// `/balance`.
    Balance,
    /// `/positions`.
    Positions,
    /// `/orders`.
    Orders,
    /// `/picks`.
    Picks,
    /// `/profit [days]`.
    Profit(u32),
    /// `/daily`.
    Daily,
    /// `/pause`.
    Pause,
    /// `/resume`.
    Resume,
    /// `/stop` (`/stop flatten` also cancels and sells everything; it asks first).
    Stop {
        /// Cancel and sell everything.
        flatten: bool,
    },
    /// `/forceexit CODE…|all` (asks first).
    ForceExit(Option<Vec<StockCode>>),
    /// `/confirm`: do the action waiting for confirmation.
    Confirm,
    /// `/cancel`: drop it.
    Cancel,
    /// `/help` (and `/start`).
    Help,
    /// Anything else, with why it was not understood.
    Unknown(String),
}

impl Command {
    /// The command's name, for the audit.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Balance => "balance",
            Command::Positions => "positions",
            Command::Orders => "orders",
            Command::Picks => "picks",
            Command::Profit(_) => "profit",
            Command::Daily => "daily",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::Stop { .. } => "stop",
            Command::ForceExit(_) => "forceexit",
            Command::Confirm => "confirm",
            Command::Cancel => "cancel",
            Command::Help => "help",
            Command::Unknown(_) => "unknown",
        }
    }

    /// Whether it must be confirmed with `/confirm` before it is done.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, Command::ForceExit(_) | Command::Stop { flatten: true })
    }
}

/// Parses a message (`/cmd@botname args…`).
pub fn parse(text: &str) -> Command {
    let mut words = text.split_whitespace();
    let Some(head) = words.next().and_then(|w| w.strip_prefix('/')) else {
        return Command::Unknown("not a command".into());
    };
    let name = head.split('@').next().unwrap_or_default().to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let none = |c: Command| if args.is_empty() { c } else { Command::Unknown(format!("/{name} takes no arguments")) };
    match name.as_str() {
        "status" => none(Command::Status),
        "balance" => none(Command::Balance),
        "positions" => none(Command::Positions),
        "orders" => none(Command::Orders),
        "picks" => none(Command::Picks),
        "daily" => none(Command::Daily),
        "pause" => none(Command::Pause),
        "resume" => none(Command::Resume),
        "confirm" | "yes" => none(Command::Confirm),
        "cancel" | "no" => none(Command::Cancel),
        "help" | "start" => Command::Help,
        "profit" => match args.as_slice() {
            [] => Command::Profit(7),
            [d] => match d.parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Command::Profit(n),
                _ => Command::Unknown(format!("/profit {d}: days must be 1 to 3650")),
            },
            _ => Command::Unknown("/profit takes one number of days".into()),
        },
        "stop" => match args.as_slice() {
            [] => Command::Stop { flatten: false },
            [f] if f.eq_ignore_ascii_case("flatten") => Command::Stop { flatten: true },
            _ => Command::Unknown("/stop takes nothing or `flatten`".into()),
        },
        "forceexit" => match args.as_slice() {
            [] => Command::Unknown("/forceexit needs a stock code or `all`".into()),
            [a] if a.eq_ignore_ascii_case("all") => Command::ForceExit(None),
            codes => {
                let parsed: Result<Vec<StockCode>, _> =
                    codes.iter().map(|c| c.to_ascii_uppercase().parse::<StockCode>()).collect();
                match parsed {
                    Ok(c) => Command::ForceExit(Some(c)),
                    Err(_) => Command::Unknown(format!("/forceexit {}: not a stock code", codes.join(" "))),
                }
            }
        },
        other => Command::Unknown(format!("/{other} is not a command")),
    }
}

/// What a command needs to run.
pub struct Env<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// Now.
    pub now: Timestamp,
    /// Reply language.
    pub lang: Lang,
    /// Who asked (`telegram:<chat id>`).
    pub by: String,
}

impl Env<'_> {
    fn t(&self, ko: &str, en: &str) -> String {
        if self.lang == Lang::Ko { ko.to_owned() } else { en.to_owned() }
    }

    fn live_status(&self) -> Result<Option<TraderStatus>, StoreError> {
        Ok(trader_status(self.store)?.filter(|s| self.now.millis() - s.heartbeat.millis() <= STALE_MS))
    }

    fn no_trader(&self) -> String {
        self.t("트레이더가 실행 중이 아닙니다 (최근 상태 없음).", "The trader is not running (no recent status).")
    }
}

/// Help text.
pub fn help(lang: Lang) -> String {
    if lang == Lang::Ko {
        "명령어\n/status 상태\n/balance 잔고\n/positions 보유 종목\n/orders 미체결 주문\n/picks 오늘의 종목\n/profit [일수] 실현 손익\n/daily 오늘 요약\n/pause 신규 진입 중지\n/resume 재개\n/stop [flatten] 매매 중지 (flatten: 전량 청산)\n/forceexit 종목코드|all 강제 청산 (확인 필요)\n/confirm 확인 · /cancel 취소".into()
    } else {
        "Commands\n/status state of the trader\n/balance cash and equity\n/positions holdings\n/orders working orders\n/picks today's picks\n/profit [days] realised P&L\n/daily today's summary\n/pause no new entries\n/resume trade again\n/stop [flatten] stop trading (flatten: sell everything)\n/forceexit CODE|all sell now (asks first)\n/confirm · /cancel".into()
    }
}

/// The question asked before a command that needs confirmation.
pub fn confirmation_prompt(c: &Command, lang: Lang) -> String {
    let what = match c {
        Command::ForceExit(None) => {
            if lang == Lang::Ko {
                "보유 종목 전량 시장가 매도".to_owned()
            } else {
                "sell every holding at market".to_owned()
            }
        }
        Command::ForceExit(Some(codes)) => {
            let list = codes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
            if lang == Lang::Ko { format!("{list} 시장가 매도") } else { format!("sell {list} at market") }
        }
        Command::Stop { flatten: true } => {
            if lang == Lang::Ko {
                "모든 주문 취소, 전량 매도 후 중지".to_owned()
            } else {
                "cancel every order, sell everything and stop".to_owned()
            }
        }
        _ => String::new(),
    };
    if lang == Lang::Ko {
        format!("{what} — 60초 안에 /confirm 으로 확인하세요 (/cancel 취소).")
    } else {
        format!("{what} — send /confirm within 60 s to go ahead (/cancel to drop it).")
    }
}

/// Runs a command (confirmation already handled) and returns the reply.
///
/// # Errors
/// If the store fails.
pub fn execute(c: &Command, env: &Env<'_>) -> Result<String, StoreError> {
    let set = |state: ControlState| -> Result<(), StoreError> {
        control::set_control(
            env.store,
            &ControlRecord { state, by: env.by.clone(), at: env.now, reason: Some("telegram".into()) },
        )
    };
    Ok(match c {
        Command::Help => help(env.lang),
        Command::Pause => {
            set(ControlState::Paused)?;
            env.t(
                "일시정지: 신규 진입을 멈춥니다. 청산·손절은 계속됩니다. /resume 으로 재개.",
                "Paused: no new entries; exits and stops still work. /resume to trade again.",
            )
        }
        Command::Resume => {
            set(ControlState::Running)?;
            env.t("재개: 정상 매매합니다.", "Resumed: trading normally.")
        }
        Command::Stop { flatten } => {
            set(ControlState::Stop { flatten: *flatten })?;
            if *flatten {
                env.t(
                    "🚨 긴급 정지: 주문 취소, 전량 매도 후 중지합니다.",
                    "🚨 Emergency stop: cancelling orders, selling everything, then stopping.",
                )
            } else {
                env.t("중지: 트레이더가 매매를 멈춥니다.", "Stop: the trader stops trading.")
            }
        }
        Command::ForceExit(codes) => {
            control::request_force_exit(
                env.store,
                &ForceExitRequest { codes: codes.clone(), by: env.by.clone(), at: env.now },
            )?;
            env.t(
                "강제 청산 요청을 보냈습니다. 트레이더가 곧 처리합니다.",
                "Force exit requested; the trader acts on it shortly.",
            )
        }
        Command::Status => status(env)?,
        Command::Balance => match env.live_status()? {
            None => env.no_trader(),
            Some(s) => {
                let k = env.lang == Lang::Ko;
                format!(
                    "{} {}\n{} {}\n{} {}",
                    if k { "평가금액" } else { "Equity" },
                    money(s.equity),
                    if k { "예수금" } else { "Cash" },
                    money(s.cash),
                    if k { "오늘 손익" } else { "P&L today" },
                    money(s.pnl_today)
                )
            }
        },
        Command::Positions => match env.live_status()? {
            None => positions_from_store(env)?,
            Some(s) if s.positions.is_empty() => env.t("보유 종목 없음", "No holdings"),
            Some(s) => s
                .positions
                .iter()
                .map(|p| {
                    let value = p.last_price.won() * i64::try_from(p.qty.get()).unwrap_or(i64::MAX);
                    format!(
                        "{} {}주 @ {} ({} {})",
                        p.code,
                        p.qty,
                        won(p.last_price.won()),
                        env.t("평가", "value"),
                        won(value)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        },
        Command::Orders => {
            let orders = match env.live_status()? {
                Some(s) => s.working_orders,
                None => env.store.open_orders()?,
            };
            if orders.is_empty() {
                env.t("미체결 주문 없음", "No working orders")
            } else {
                orders
                    .iter()
                    .map(|o| {
                        format!(
                            "{} {} {} {}/{} {:?}",
                            o.client_id, o.request.code, o.request.side, o.filled_qty, o.request.qty, o.status
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
        Command::Picks => {
            let today = env.now.kst_date();
            let picks = env.store.selections_on(today)?;
            if picks.is_empty() {
                env.t(&format!("{today} 선정 종목 없음"), &format!("No picks for {today}"))
            } else {
                let mut out = env.t(&format!("{today} 선정 종목"), &format!("Picks for {today}"));
                for p in picks.iter().take(20) {
                    out.push_str(&format!("\n{} {} {:.1} ({:.0}%)", p.code, p.class, p.score, p.confidence * 100.0));
                }
                out
            }
        }
        Command::Profit(days) => {
            let from =
                Timestamp::from_millis(start_of_day(env.now).millis() - i64::from(days.saturating_sub(1)) * 86_400_000);
            let r = realised(&env.store.fills_since(Timestamp::from_millis(0))?, from);
            if env.lang == Lang::Ko {
                format!(
                    "최근 {days}일 실현 손익 {}원\n매도 {}건 · 익절 {} · 손절 {}",
                    money(r.pnl),
                    r.sells,
                    r.wins,
                    r.losses
                )
            } else {
                format!(
                    "Realised P&L over {days} days: {} KRW\n{} sells · {} wins · {} losses",
                    money(r.pnl),
                    r.sells,
                    r.wins,
                    r.losses
                )
            }
        }
        Command::Daily => daily(env)?,
        Command::Confirm => env.t("확인할 요청이 없습니다.", "Nothing is waiting for confirmation."),
        Command::Cancel => env.t("취소할 요청이 없습니다.", "Nothing to cancel."),
        Command::Unknown(why) => unknown(env.lang, why),
    })
}

/// The polite answer to something not understood.
pub fn unknown(lang: Lang, why: &str) -> String {
    if lang == Lang::Ko {
        format!("죄송합니다, 알 수 없는 명령입니다 ({why}). /help 를 보세요.")
    } else {
        format!("Sorry, I did not understand that ({why}). /help lists the commands.")
    }
}

/// The polite answer to a chat that is not on the allowlist.
pub fn stranger(lang: Lang) -> String {
    if lang == Lang::Ko {
        "죄송합니다, 이 봇은 등록된 사용자만 사용할 수 있습니다.".into()
    } else {
        "Sorry, this bot only answers its owners.".into()
    }
}

fn start_of_day(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.millis() - now.kst_ms_of_day())
}

fn status(env: &Env<'_>) -> Result<String, StoreError> {
    let ctl = read_control(env.store)?;
    let state = ctl.as_ref().map_or(ControlState::Running, |c| c.state);
    let mut out = match &ctl {
        Some(c) => env.t(
            &format!("제어: {} ({}, {})", state.as_str(), c.by, c.at),
            &format!("Control: {} (by {}, {})", state.as_str(), c.by, c.at),
        ),
        None => env.t(&format!("제어: {}", state.as_str()), &format!("Control: {}", state.as_str())),
    };
    out.push('\n');
    match trader_status(env.store)? {
        None => out.push_str(&env.no_trader()),
        Some(s) => {
            let age = (env.now.millis() - s.heartbeat.millis()) / 1000;
            let alive = env.now.millis() - s.heartbeat.millis() <= STALE_MS;
            if env.lang == Lang::Ko {
                out.push_str(&format!(
                    "트레이더: {} ({}, {}) · {}\n상태 {} · 평가금액 {} · 오늘 손익 {}\n보유 {} · 미체결 {}",
                    if alive { "실행 중" } else { "응답 없음" },
                    s.mode,
                    s.strategy,
                    format_args!("{age}초 전"),
                    s.state.as_str(),
                    money(s.equity),
                    money(s.pnl_today),
                    s.positions.len(),
                    s.working_orders.len()
                ));
            } else {
                out.push_str(&format!(
                    "Trader: {} ({}, {}) · {age}s ago\nacting as {} · equity {} · P&L today {}\n{} holdings · {} working orders",
                    if alive { "running" } else { "not responding" },
                    s.mode,
                    s.strategy,
                    s.state.as_str(),
                    money(s.equity),
                    money(s.pnl_today),
                    s.positions.len(),
                    s.working_orders.len()
                ));
            }
            if let Some(e) = &s.last_error {
                out.push_str(&format!("\n{}{e}", env.t("최근 오류: ", "Last error: ")));
            }
        }
    }
    Ok(out)
}

fn positions_from_store(env: &Env<'_>) -> Result<String, StoreError> {
    let held: Vec<_> = env.store.positions()?.into_iter().filter(|p| !p.qty.is_zero()).collect();
    if held.is_empty() {
        return Ok(env.t(
            "보유 종목 없음 (트레이더 미실행, 마지막 기록 기준)",
            "No holdings (trader not running; last snapshot)",
        ));
    }
    Ok(held
        .iter()
        .map(|p| format!("{} {} @ {}", p.code, p.qty, won(p.last_price.won())))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn daily(env: &Env<'_>) -> Result<String, StoreError> {
    let (msg, live) = crate::service::notify::daily::daily_report(env.store, env.now)?;
    let r = Notification::new(env.now, msg).render(env.lang);
    let mut out = r.plain();
    if !live {
        out.push('\n');
        out.push_str(&env.no_trader());
    }
    Ok(out)
}
