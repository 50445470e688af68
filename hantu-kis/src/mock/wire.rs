//! Wire helpers of the local server: envelopes, golden templates from `test_data/`, message
//! padding, paging cursors.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

/// A reply: status, body and the response headers KIS sets.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: Value,
    /// `tr_cont` header (`F`/`M` more, `D` last), for paged endpoints.
    pub tr_cont: Option<&'static str>,
}

impl Reply {
    /// HTTP 200 with `body`.
    #[must_use]
    pub fn ok(body: Value) -> Self {
        Self { status: StatusCode::OK, body, tr_cont: None }
    }

    /// An envelope-only failure.
    #[must_use]
    pub fn refuse(status: StatusCode, rt_cd: &str, msg_cd: &str, msg1: &str) -> Self {
        Self { status, body: json!({"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg1}), tr_cont: None }
    }

    /// A business rejection: HTTP 200, `rt_cd` `1`.
    #[must_use]
    pub fn reject(msg_cd: &str, msg1: &str) -> Self {
        Self::refuse(StatusCode::OK, "1", msg_cd, msg1)
    }

    /// A gateway failure: HTTP 500.
    #[must_use]
    pub fn gateway(msg_cd: &str, msg1: &str) -> Self {
        Self::refuse(StatusCode::INTERNAL_SERVER_ERROR, "1", msg_cd, msg1)
    }

    /// Sets `tr_cont`.
    #[must_use]
    pub fn with_tr_cont(mut self, tr_cont: &'static str) -> Self {
        self.tr_cont = Some(tr_cont);
        self
    }

    /// Response headers for `tr_id`.
    #[must_use]
    pub fn headers(&self, tr_id: &str, gt_uid: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json;charset=UTF-8"));
        if let Ok(v) = HeaderValue::from_str(tr_id) {
            h.insert("tr_id", v);
        }
        if let Ok(v) = HeaderValue::from_str(gt_uid) {
            h.insert("gt_uid", v);
        }
        if let Some(c) = self.tr_cont {
            h.insert("tr_cont", HeaderValue::from_static(c));
        }
        h
    }
}

/// Right-pads `msg` with spaces to 80 bytes counted in CP949 (Hangul = 2 bytes), as KIS
/// does for account queries.
#[must_use]
pub fn pad80(msg: &str) -> String {
    let width: usize = msg.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{msg}{}", " ".repeat(80usize.saturating_sub(width)))
}

/// Success envelope fields for quotations.
pub const QUOTE_OK: (&str, &str) = ("MCA00000", "정상처리 되었습니다.");
/// Success envelope of real account queries.
pub const ACCOUNT_OK: (&str, &str) = ("KIOK0510", "조회가 완료되었습니다");
/// Success envelope of real account queries on the last page.
pub const ACCOUNT_LAST: (&str, &str) = ("KIOK0460", "조회 되었습니다. (마지막 자료)");
/// Success envelope of paper queries.
pub const PAPER_OK: (&str, &str) = ("20310000", "모의투자 조회가 완료되었습니다.");

/// Adds `rt_cd`/`msg_cd`/`msg1` to an object body.
#[must_use]
pub fn envelope(mut body: Map<String, Value>, (msg_cd, msg1): (&str, &str), pad: bool) -> Value {
    body.insert("rt_cd".into(), "0".into());
    body.insert("msg_cd".into(), msg_cd.into());
    body.insert("msg1".into(), if pad { pad80(msg1) } else { msg1.to_owned() }.into());
    Value::Object(body)
}

const SAMPLES: &[(&str, &str)] = &[
    ("inquire-price", include_str!("../../test_data/inquire-price.json")),
    ("inquire-ccnl", include_str!("../../test_data/inquire-ccnl.json")),
    ("inquire-daily-itemchartprice", include_str!("../../test_data/inquire-daily-itemchartprice.json")),
    ("inquire-daily-price", include_str!("../../test_data/inquire-daily-price.json")),
    ("inquire-time-itemchartprice", include_str!("../../test_data/inquire-time-itemchartprice.json")),
    ("inquire-asking-price-exp-ccn", include_str!("../../test_data/inquire-asking-price-exp-ccn.json")),
    ("inquire-balance", include_str!("../../test_data/inquire-balance.json")),
    ("inquire-daily-ccld", include_str!("../../test_data/inquire-daily-ccld.json")),
    ("inquire-psbl-rvsecncl", include_str!("../../test_data/inquire-psbl-rvsecncl.json")),
    ("inquire-psbl-order", include_str!("../../test_data/inquire-psbl-order.json")),
    ("inquire-psbl-sell", include_str!("../../test_data/inquire-psbl-sell.json")),
    ("volume-rank", include_str!("../../test_data/volume-rank.json")),
    ("search-info", include_str!("../../test_data/search-info.json")),
    ("search-stock-info", include_str!("../../test_data/search-stock-info.json")),
    ("chk-holiday", include_str!("../../test_data/chk-holiday.json")),
    ("psearch-title", include_str!("../../test_data/psearch-title.json")),
    ("psearch-result", include_str!("../../test_data/psearch-result.json")),
    ("inquire-time-dailychartprice", include_str!("../../test_data/inquire-time-dailychartprice.json")),
];

fn samples() -> &'static HashMap<&'static str, Value> {
    static MAP: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    MAP.get_or_init(|| {
        SAMPLES
            .iter()
            .filter_map(|(k, text)| {
                let mut v: Value = serde_json::from_str(text).ok()?;
                v.as_object_mut()?.remove("_meta");
                Some((*k, v))
            })
            .collect()
    })
}

/// The golden object at `block` of the sample `endpoint` (first row when the block is an
/// array): the full key set a KIS reply carries, to be overwritten with simulated values.
#[must_use]
pub fn template(endpoint: &str, block: &str) -> Map<String, Value> {
    let v = samples().get(endpoint).and_then(|s| s.get(block));
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(rows)) => rows.first().and_then(Value::as_object).cloned().unwrap_or_default(),
        _ => Map::new(),
    }
}

/// Sets string fields of a template object. Keys the golden sample does not carry are left
/// out, so a reply never has more (or fewer) keys than KIS sends.
pub fn set(obj: &mut Map<String, Value>, fields: &[(&str, String)]) {
    for (k, v) in fields {
        if let Some(slot) = obj.get_mut(*k) {
            *slot = Value::String(v.clone());
        }
    }
}

/// A page of `total` rows of size `size` starting at `offset`: returns the row range, the
/// `tr_cont` letter and the nk cursor of the next page.
#[must_use]
pub fn page(total: usize, offset: usize, size: usize, width: usize) -> (std::ops::Range<usize>, &'static str, String) {
    let start = offset.min(total);
    let end = (start + size).min(total);
    let more = end < total;
    let letter = match (more, start == 0) {
        (true, true) => "F",
        (true, false) => "M",
        (false, _) => "D",
    };
    let nk = if more { format!("{end:0>10}^") } else { String::new() };
    (start..end, letter, format!("{nk:<width$}"))
}

/// The row offset encoded in an nk cursor (blank = 0).
#[must_use]
pub fn offset_of(nk: &str) -> Option<usize> {
    let t = nk.trim().trim_end_matches('^');
    if t.is_empty() { Some(0) } else { t.parse().ok() }
}

/// Pads a cursor string to `width`.
#[must_use]
pub fn pad_to(s: &str, width: usize) -> String {
    format!("{s:<width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_cp949_bytes() {
        let p = pad80("조회가 완료되었습니다");
        // 10 Hangul (20 bytes) + 1 space = 21 bytes, + 59 spaces.
        assert_eq!(p.len() - "조회가 완료되었습니다".len(), 59);
        let sample = template("inquire-balance", "output1");
        assert!(sample.contains_key("thdt_buyqty"));
    }

    #[test]
    fn paging_letters_and_cursors() {
        let (r, l, nk) = page(120, 0, 50, 100);
        assert_eq!((r, l, nk.len()), (0..50, "F", 100));
        assert_eq!(offset_of(&nk), Some(50));
        let (r, l, _) = page(120, 50, 50, 100);
        assert_eq!((r, l), (50..100, "M"));
        let (r, l, nk) = page(120, 100, 50, 100);
        assert_eq!((r, l, nk.trim()), (100..120, "D", ""));
        let (r, l, _) = page(0, 0, 50, 100);
        assert_eq!((r, l), (0..0, "D"));
    }
}
