//! Every REST sample body parses into its typed response (envelope checked first).

use hantu_kis::parse::Obj;
use hantu_kis::rest::{self, Envelope, FromKis};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("_meta");
    v
}

/// Parses a sample through both JSON representations (the client's borrowed tree and
/// `serde_json::Value`) and checks they agree.
fn ok<T: FromKis + PartialEq + std::fmt::Debug>(name: &str) -> T {
    let v = load(name);
    let root = Obj::root(&v).unwrap();
    let env = Envelope::parse(root).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(env.rt_cd, "0", "{name}");
    let via_value = T::from_kis(root).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bytes = serde_json::to_vec(&v).unwrap();
    let tree = hantu_kis::json::Json::parse(&bytes).unwrap();
    let via_tree = T::from_kis(Obj::root_json(&tree).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(via_value, via_tree, "{name}");
    via_tree
}

fn refused(name: &str) -> Envelope {
    let v = load(name);
    let env = Envelope::parse(Obj::root(&v).unwrap()).unwrap();
    assert_ne!(env.rt_cd, "0", "{name}");
    env
}

#[test]
fn quotation_samples_parse() {
    let q: rest::PriceQuote = ok("inquire-price.json");
    assert_eq!(
        (q.last.won(), q.base.won(), q.upper_limit.won(), q.lower_limit.won()),
        (65_850, 66_000, 85_800, 46_200)
    );
    assert_eq!(q.change, -150);
    let e: rest::Executions = ok("inquire-ccnl.json");
    assert_eq!(e.0.len(), 3);
    let c: rest::DailyChart = ok("inquire-daily-itemchartprice.json");
    assert_eq!(c.bars.len(), 5);
    assert_eq!(c.bars[0].close.won(), 65_850);
    assert!(c.bars.windows(2).all(|w| w[0].date > w[1].date), "newest first");
    let d: rest::DailyPrices = ok("inquire-daily-price.json");
    assert_eq!(d.0.len(), 5);
    let m: rest::MinuteChart = ok("inquire-time-itemchartprice.json");
    assert_eq!(m.bars.len(), 5);
    let h: rest::MinuteChart = ok("inquire-time-dailychartprice.json");
    assert_eq!(h.bars.len(), 5);
    let b: rest::OrderBook = ok("inquire-asking-price-exp-ccn.json");
    assert_eq!((b.asks.len(), b.bids.len()), (10, 10));
    assert!(b.asks[0].price > b.bids[0].price);
    let r: rest::VolumeRanking = ok("volume-rank.json");
    assert_eq!(r.0[0].rank, 1);
}

#[test]
fn order_samples_parse() {
    for name in ["order-cash.json", "order-cash-paper.json", "order-rvsecncl.json"] {
        let a: rest::OrderAck = ok(name);
        assert_eq!(a.order_no.len(), 10, "{name}");
    }
    let p: rest::RevisableOrders = ok("inquire-psbl-rvsecncl.json");
    assert_eq!(p.0[0].cancellable_qty, 6);
    assert_eq!(refused("order-cash-error-insufficient-cash.json").msg_cd, "APBK0952");
    assert_eq!(refused("order-cash-error-market-closed.json").msg_cd, "APBK0918");
    assert_eq!(refused("order-cash-error-market-closed-paper.json").msg_cd, "40580000");
}

#[test]
fn account_samples_parse() {
    let d: rest::DailyOrders = ok("inquire-daily-ccld.json");
    assert_eq!(d.orders.len(), 2);
    assert!(d.orders.iter().any(|o| o.is_cancel && o.cancelled_qty == 6));
    let b: rest::AccountBalance = ok("inquire-balance.json");
    assert_eq!(b.holdings.len(), 2);
    assert_eq!(b.summary.deposit, 3_000_000);
    assert_eq!(b.holdings[0].avg_price.to_string(), "64250.0000");
    let p: rest::AccountBalance = ok("inquire-balance-paper.json");
    assert!(p.holdings.is_empty());
    let o: rest::BuyingPower = ok("inquire-psbl-order.json");
    assert_eq!((o.buyable_qty, o.calc_price.map(|p| p.won())), (31, Some(85_800)));
    let s: rest::Sellable = ok("inquire-psbl-sell.json");
    assert_eq!(s.sellable, 24);
}

#[test]
fn info_samples_parse() {
    let i: rest::ProductInfo = ok("search-info.json");
    assert_eq!(i.code.as_str(), "005930");
    let s: rest::StockInfo = ok("search-stock-info.json");
    assert_eq!(s.market_id, "STK");
    let h: rest::MarketDays = ok("chk-holiday.json");
    assert_eq!(h.0.len(), 9);
    assert!(h.0.iter().any(|d| !d.open));
    let t: rest::ConditionTitles = ok("psearch-title.json");
    assert_eq!(t.0.len(), 2);
    let m: rest::ConditionMatches = ok("psearch-result.json");
    assert_eq!(m.0[0].code.as_str(), "005930");
    assert_eq!(refused("psearch-result-error-empty.json").msg_cd, "MCA05918");
}

#[test]
fn auth_and_error_samples_parse() {
    let t = hantu_kis::auth::TokenReply::parse(&load("oauth2-tokenP.json")).unwrap();
    assert_eq!(t.expires_in, 86_400);
    let a = hantu_kis::auth::ApprovalKey::parse(&load("oauth2-Approval.json")).unwrap();
    assert!(!format!("{a:?}").contains("9f1c2b3a"));
    assert_eq!(load("oauth2-revokeP.json")["code"], 200);
    assert_eq!(load("uapi-hashkey.json")["HASH"].as_str().unwrap().len(), 64);
    for (name, code) in [
        ("error-EGW00201-rate-limit.json", "EGW00201"),
        ("error-EGW00215-ledger-rate-limit.json", "EGW00215"),
        ("error-EGW00123-token-expired.json", "EGW00123"),
        ("error-EGW00121-token-invalid.json", "EGW00121"),
        ("error-IGW00007-body.json", "IGW00007"),
        ("error-not-paper-tr.json", "UNCONFIRMED"),
    ] {
        assert_eq!(refused(name).msg_cd, code);
    }
    for name in ["oauth2-tokenP-error-EGW00133.json", "oauth2-tokenP-error-EGW00105.json"] {
        assert!(load(name)["error_code"].as_str().unwrap().starts_with("EGW"));
    }
}

#[test]
fn a_malformed_number_names_its_field() {
    let mut v = load("inquire-balance.json");
    v["output1"][1]["hldg_qty"] = Value::String("1.5".into());
    let err = rest::AccountBalance::from_kis(Obj::root(&v).unwrap()).unwrap_err();
    assert_eq!(err.field, "output1[1].hldg_qty");
    assert_eq!(err.value, "1.5");
}
