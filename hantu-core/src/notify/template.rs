//! How each [`Message`] reads, in Korean (the default) and English.
//!
//! Templates produce plain text; a transport escapes it for its own markup (see [`super::text`]).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::message::{EntryLine, Message};
use crate::domain::{Money, Side, Timestamp};

/// The language of rendered messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Korean.
    #[default]
    Ko,
    /// English.
    En,
}

impl Lang {
    /// Parses `ko` or `en`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ko" | "kr" | "korean" => Some(Lang::Ko),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A message as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// One line.
    pub title: String,
    /// The rest (may be empty).
    pub body: String,
}

impl Rendered {
    /// Title and body joined by a newline (just the title when the body is empty).
    #[must_use]
    pub fn plain(&self) -> String {
        if self.body.is_empty() { self.title.clone() } else { format!("{}\n{}", self.title, self.body) }
    }
}

/// At most this many stocks are listed by name in a screen alert; the rest are counted.
const MAX_LISTED: usize = 30;

/// Renders `m` (which happened at `ts`) in `lang`.
#[must_use]
pub fn render(m: &Message, ts: Timestamp, lang: Lang) -> Rendered {
    let ko = lang == Lang::Ko;
    let t = |k: &str, e: &str| if ko { k.to_owned() } else { e.to_owned() };
    let (title, body) = match m {
        Message::Fill { code, name, side, qty, price, client_id, pnl } => {
            let what = stock(code.as_str(), name.as_deref());
            let title = if ko {
                format!("체결: {what} {} {}주 @ {}원", side_ko(*side), qty, won(price.won()))
            } else {
                format!("Filled: {} {qty} {what} @ {} KRW", side_en(*side), won(price.won()))
            };
            let amount = price.notional(*qty);
            let mut body = if ko {
                format!("금액 {}원 · 주문 {client_id} · {ts}", won(amount))
            } else {
                format!("Amount {} KRW · order {client_id} · {ts}", won(amount))
            };
            if let Some(p) = pnl {
                let v = p.to_won();
                let sign = if v > 0 { "+" } else { "" };
                let _ = write!(body, "\n{}{sign}{}{}", t("실현손익 ", "Realized P&L "), won(v), t("원", " KRW"));
            }
            (title, body)
        }
        Message::OrderRejected { code, name, side, qty, reason, client_id } => {
            let what = stock(code.as_str(), name.as_deref());
            let title = if ko {
                format!("주문 거부: {what} {} {qty}주", side_ko(*side))
            } else {
                format!("Order rejected: {} {qty} {what}", side_en(*side))
            };
            (title, format!("{}{reason} · {} {client_id}", t("사유: ", "Reason: "), t("주문", "order")))
        }
        Message::StopLoss { code, name, qty, price, return_pct } => {
            let what = stock(code.as_str(), name.as_deref());
            let title = t(&format!("손절: {what}"), &format!("Stop-loss: {what}"));
            let body = if ko {
                format!("{qty}주 매도 · 현재가 {}원 · 수익률 {}", won(price.won()), pct(*return_pct))
            } else {
                format!("Selling {qty} · price {} KRW · return {}", won(price.won()), pct(*return_pct))
            };
            (title, body)
        }
        Message::TargetHit { code, name, qty, price, return_pct } => {
            let what = stock(code.as_str(), name.as_deref());
            let title = t(&format!("목표가 도달: {what}"), &format!("Target hit: {what}"));
            let body = if ko {
                format!("{qty}주 매도 · 현재가 {}원 · 수익률 {}", won(price.won()), pct(*return_pct))
            } else {
                format!("Selling {qty} · price {} KRW · return {}", won(price.won()), pct(*return_pct))
            };
            (title, body)
        }
        Message::EmergencyStop { set, by, reason } => {
            let title = match (*set, ko) {
                (true, true) => "🚨 긴급 정지 설정".to_owned(),
                (true, false) => "🚨 Emergency stop set".to_owned(),
                (false, true) => "긴급 정지 해제".to_owned(),
                (false, false) => "Emergency stop cleared".to_owned(),
            };
            let mut body = format!("{}{by} · {ts}", t("요청: ", "By: "));
            if let Some(r) = reason {
                let _ = write!(body, "\n{}{r}", t("사유: ", "Reason: "));
            }
            (title, body)
        }
        Message::ServiceDown { service, error } => {
            (t(&format!("⚠️ 서비스 중단: {service}"), &format!("⚠️ Service down: {service}")), format!("{error}\n{ts}"))
        }
        Message::ServiceRecovered { service, down_secs } => {
            let title = t(&format!("서비스 복구: {service}"), &format!("Service recovered: {service}"));
            let body = match down_secs {
                Some(s) if ko => format!("중단 시간 {} · {ts}", duration(*s, true)),
                Some(s) => format!("Down for {} · {ts}", duration(*s, false)),
                None => ts.to_string(),
            };
            (title, body)
        }
        Message::JobFailed { job, error, attempt } => (
            t(&format!("작업 실패: {job}"), &format!("Job failed: {job}")),
            if ko { format!("{attempt}번째 시도 · {error}") } else { format!("Attempt {attempt} · {error}") },
        ),
        Message::ScreenEntries { screen, as_of, entered, exited } => {
            let title = if ko {
                format!("신규 편입 {}종목: {screen} ({as_of})", entered.len())
            } else {
                format!("{} new on {screen} ({as_of})", entered.len())
            };
            (title, screen_body(entered, exited, ko))
        }
        Message::DailyReport { date, equity, cash, pnl, return_pct, fills, wins, losses, positions } => {
            let title = t(&format!("일일 리포트 {date}"), &format!("Daily report {date}"));
            let ret = return_pct.map(|r| format!(" ({})", pct(r))).unwrap_or_default();
            let body = if ko {
                format!(
                    "평가금액 {}원\n예수금 {}원\n손익 {}원{ret}\n체결 {fills}건 · 익절 {wins} · 손절 {losses}\n보유 {positions}종목",
                    money(*equity),
                    money(*cash),
                    signed_money(*pnl)
                )
            } else {
                format!(
                    "Equity {} KRW\nCash {} KRW\nP&L {} KRW{ret}\nFills {fills} · wins {wins} · losses {losses}\nHolding {positions} stocks",
                    money(*equity),
                    money(*cash),
                    signed_money(*pnl)
                )
            };
            (title, body)
        }
        Message::Test { from } => (
            t("hantu 테스트 메시지", "hantu test message"),
            if ko { format!("{from}에서 보냄 · {ts}") } else { format!("Sent from {from} · {ts}") },
        ),
        Message::Text { title, body } => (title.clone(), body.clone()),
        Message::JobSkipped { job, reason } => (
            t(&format!("작업 건너뜀: {job}"), &format!("Job skipped: {job}")),
            format!("{}{reason} · {ts}", t("입력 없음: ", "Inputs missing: ")),
        ),
        Message::Alert { source, text } => {
            (t(&format!("경고 ({source})"), &format!("Alert ({source})")), format!("{text}\n{ts}"))
        }
    };
    Rendered { title, body }
}

fn screen_body(entered: &[EntryLine], exited: &[crate::domain::StockCode], ko: bool) -> String {
    let mut body = String::new();
    for e in entered.iter().take(MAX_LISTED) {
        let _ = write!(body, "+ {}", stock(e.code.as_str(), e.name.as_deref()));
        if let Some(r) = e.rank {
            let _ = write!(body, " #{r}");
        }
        if let Some(s) = e.score.filter(|s| s.is_finite()) {
            let _ = write!(body, " ({s:.1})");
        }
        body.push('\n');
    }
    if entered.len() > MAX_LISTED {
        let more = entered.len() - MAX_LISTED;
        let _ = writeln!(body, "{}", if ko { format!("외 {more}종목") } else { format!("and {more} more") });
    }
    if !exited.is_empty() {
        let codes: Vec<&str> = exited.iter().take(MAX_LISTED).map(|c| c.as_str()).collect();
        let more = if exited.len() > MAX_LISTED { " …" } else { "" };
        let _ = write!(body, "{}{}{more}", if ko { "편출: " } else { "Left: " }, codes.join(" "));
    }
    body.trim_end().to_owned()
}

fn stock(code: &str, name: Option<&str>) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(n) => format!("{n}({code})"),
        None => code.to_owned(),
    }
}

const fn side_ko(s: Side) -> &'static str {
    match s {
        Side::Buy => "매수",
        Side::Sell => "매도",
    }
}

const fn side_en(s: Side) -> &'static str {
    match s {
        Side::Buy => "Bought",
        Side::Sell => "Sold",
    }
}

/// Whole won with thousands separators (`-1,234,500`).
#[must_use]
pub fn won(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Money rounded to whole won, with separators.
#[must_use]
pub fn money(m: Money) -> String {
    won(m.get().round().try_into().unwrap_or(0_i64))
}

fn signed_money(m: Money) -> String {
    let s = money(m);
    if m.is_negative() || s == "0" { s } else { format!("+{s}") }
}

/// A fraction as a signed percentage with two decimals (`0.0123` → `+1.23%`).
#[must_use]
pub fn pct(r: f64) -> String {
    if r.is_finite() { format!("{:+.2}%", r * 100.0) } else { "?".to_owned() }
}

fn duration(secs: u64, ko: bool) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (ko, h, m) {
        (true, 0, 0) => format!("{s}초"),
        (true, 0, _) => format!("{m}분 {s}초"),
        (true, _, _) => format!("{h}시간 {m}분"),
        (false, 0, 0) => format!("{s}s"),
        (false, 0, _) => format!("{m}m {s}s"),
        (false, _, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{Price, Qty, StockCode};
    use crate::notify::NotificationKind;

    fn code() -> StockCode {
        "005930".parse().unwrap()
    }

    fn ts() -> Timestamp {
        Timestamp::kst(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(), 10, 5)
    }

    fn every_message() -> Vec<Message> {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        vec![
            Message::Fill {
                client_id: crate::domain::ClientOrderId::from_seq("T", 7),
                code: code(),
                name: Some("삼성전자".into()),
                side: Side::Buy,
                qty: Qty::from_shares(10),
                price: Price::new(71_500),
                pnl: None,
            },
            Message::OrderRejected {
                client_id: crate::domain::ClientOrderId::from_seq("T", 8),
                code: code(),
                name: None,
                side: Side::Sell,
                qty: Qty::from_shares(3),
                reason: "insufficient holdings".into(),
            },
            Message::StopLoss {
                code: code(),
                name: None,
                qty: Qty::from_shares(10),
                price: Price::new(68_000),
                return_pct: -0.049,
            },
            Message::TargetHit {
                code: code(),
                name: None,
                qty: Qty::from_shares(10),
                price: Price::new(77_000),
                return_pct: 0.077,
            },
            Message::EmergencyStop { set: true, by: "telegram:42".into(), reason: Some("market crash".into()) },
            Message::EmergencyStop { set: false, by: "cli".into(), reason: None },
            Message::ServiceDown { service: "trader".into(), error: "no heartbeat for 30s".into() },
            Message::ServiceRecovered { service: "trader".into(), down_secs: Some(95) },
            Message::JobFailed { job: "screen".into(), error: "store busy".into(), attempt: 2 },
            Message::ScreenEntries {
                screen: "momentum".into(),
                as_of: day,
                entered: vec![EntryLine {
                    code: code(),
                    name: Some("삼성전자".into()),
                    rank: Some(3),
                    score: Some(81.25),
                }],
                exited: vec!["000660".parse().unwrap()],
            },
            Message::DailyReport {
                date: day,
                equity: Money::new(Decimal::new(101_234_567, 0)),
                cash: Money::from_won(50_000_000),
                pnl: Money::from_won(1_234_567),
                return_pct: Some(0.0123),
                fills: 4,
                wins: 1,
                losses: 1,
                positions: 3,
            },
            Message::Test { from: "host".into() },
            Message::Text { title: "hello".into(), body: "world".into() },
            Message::JobSkipped { job: "trader".into(), reason: "no picks for 2026-12-04".into() },
            Message::Alert { source: "learn".into(), text: "weights v2 degraded".into() },
        ]
    }

    #[test]
    fn every_kind_has_a_template_in_both_languages() {
        let msgs = every_message();
        let mut kinds: Vec<_> = msgs.iter().map(Message::kind).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), NotificationKind::ALL.len(), "a kind without a sample");
        for m in &msgs {
            let ko = render(m, ts(), Lang::Ko);
            let en = render(m, ts(), Lang::En);
            assert!(!ko.title.is_empty() && !en.title.is_empty(), "{m:?}");
            if !matches!(m, Message::Text { .. }) {
                assert_ne!(ko, en, "{m:?} reads the same in both languages");
            }
        }
    }

    #[test]
    fn a_fill_reads_naturally_in_korean_and_english() {
        let m = &every_message()[0];
        let ko = render(m, ts(), Lang::Ko);
        assert_eq!(ko.title, "체결: 삼성전자(005930) 매수 10주 @ 71,500원");
        assert!(ko.body.starts_with("금액 715,000원"), "{}", ko.body);
        let en = render(m, ts(), Lang::En);
        assert_eq!(en.title, "Filled: Bought 10 삼성전자(005930) @ 71,500 KRW");
        assert!(!en.body.contains("P&L"), "{}", en.body);
    }

    #[test]
    fn an_exit_fill_carries_its_realized_pnl() {
        let f = crate::domain::Fill {
            client_id: crate::domain::ClientOrderId::from_seq("T", 9),
            code: code(),
            side: Side::Sell,
            qty: Qty::from_shares(10),
            price: Price::new(70_000),
            commission: crate::domain::Money::from_won(98),
            tax: crate::domain::Money::from_won(1_260),
            ts: ts(),
        };
        let loss = Message::exit_fill(&f, None, crate::domain::Money::from_won(-16_358));
        assert!(render(&loss, ts(), Lang::En).body.ends_with("Realized P&L -16,358 KRW"));
        let gain = Message::exit_fill(&f, None, crate::domain::Money::from_won(4_000));
        assert!(render(&gain, ts(), Lang::Ko).body.ends_with("실현손익 +4,000원"));
        assert_eq!(gain.dedup_key(ts()), Message::fill(&f, None).dedup_key(ts()), "P&L is not part of the key");
    }

    #[test]
    fn the_daily_report_signs_the_pnl_and_formats_money() {
        let r = render(&every_message()[10], ts(), Lang::Ko);
        assert!(r.body.contains("평가금액 101,234,567원"), "{}", r.body);
        assert!(r.body.contains("손익 +1,234,567원 (+1.23%)"), "{}", r.body);
    }

    #[test]
    fn a_long_screen_alert_lists_the_first_stocks_and_counts_the_rest() {
        let entered: Vec<EntryLine> = (0..45)
            .map(|i| EntryLine {
                code: format!("{:06}", 100_000 + i).parse().unwrap(),
                name: None,
                rank: None,
                score: None,
            })
            .collect();
        let m = Message::ScreenEntries {
            screen: "s".into(),
            as_of: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            entered,
            exited: vec![],
        };
        let r = render(&m, ts(), Lang::En);
        assert_eq!(r.title, "45 new on s (2026-12-04)");
        assert_eq!(r.body.lines().count(), MAX_LISTED + 1);
        assert!(r.body.ends_with("and 15 more"));
    }

    #[test]
    fn numbers_format_with_separators_and_signs() {
        assert_eq!(won(0), "0");
        assert_eq!(won(999), "999");
        assert_eq!(won(1_000), "1,000");
        assert_eq!(won(-1_234_567), "-1,234,567");
        assert_eq!(pct(-0.05), "-5.00%");
        assert_eq!(pct(f64::NAN), "?");
        assert_eq!(duration(3_725, true), "1시간 2분");
        assert_eq!(duration(95, false), "1m 35s");
    }
}
