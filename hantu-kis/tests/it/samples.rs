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

mod ws {
    use hantu_kis::ws::{BookFrame, DataFrame, NoticeKind, OrderNotice, ServerMessage, SubscribeRequest, TradeTick};

    use super::load;

    fn text(name: &str) -> String {
        load(name).to_string()
    }

    fn control(name: &str) -> hantu_kis::ws::Control {
        match ServerMessage::parse(&text(name)).unwrap() {
            ServerMessage::Control(c) => c,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn control_samples_parse() {
        let req = SubscribeRequest::parse(&text("ws-subscribe-request.json")).unwrap();
        assert_eq!((req.tr_id.as_str(), req.tr_key.as_str(), req.subscribe), ("H0STCNT0", "005930", true));
        assert!(!format!("{req:?}").contains("9f1c2b3a"));
        let again = SubscribeRequest::parse(&req.to_text()).unwrap();
        assert_eq!((again.approval_key, again.tr_id, again.subscribe), (req.approval_key, req.tr_id, true));
        let ack = control("ws-subscribe-ack.json");
        assert!(ack.is_ok() && !ack.encrypted);
        assert_eq!((ack.iv.as_deref().map(str::len), ack.key.as_deref().map(str::len)), (Some(16), Some(32)));
        assert!(!format!("{ack:?}").contains("abcdefghijklmnop"));
        assert_eq!(control("ws-unsubscribe-ack.json").msg_cd, "OPSP0001");
        for (name, code, ok) in [
            ("ws-error-already-subscribed.json", "OPSP0002", true),
            ("ws-error-max-subscribe.json", "OPSP0008", false),
            ("ws-error-invalid-approval.json", "OPSP0011", false),
            ("ws-error-appkey-in-use.json", "OPSP8996", false),
        ] {
            let c = control(name);
            assert_eq!((c.msg_cd.as_str(), c.is_ok()), (code, ok), "{name}");
        }
        let ping = text("ws-pingpong.json");
        match ServerMessage::parse(&ping).unwrap() {
            ServerMessage::PingPong { raw, datetime } => {
                assert_eq!((raw, datetime.as_str()), (ping.as_str(), "20250725094731"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn trade_frames_parse_to_the_documented_fields() {
        let v = load("ws-H0STCNT0.json");
        let one = v["raw_frame_1_record"].as_str().unwrap();
        let ServerMessage::Data(frame) = ServerMessage::parse(one).unwrap() else { panic!("data frame") };
        let trades = TradeTick::from_frame(&frame).unwrap();
        assert_eq!(trades.len(), 1);
        let t = &trades[0];
        let f = &v["fields_record_1"];
        assert_eq!(t.price.to_string(), f["STCK_PRPR"].as_str().unwrap());
        assert_eq!(t.qty.to_string(), f["CNTG_VOL"].as_str().unwrap());
        assert_eq!(t.volume.to_string(), f["ACML_VOL"].as_str().unwrap());
        assert_eq!(t.change.to_string(), f["PRDY_VRSS"].as_str().unwrap());
        assert_eq!(t.date.format("%Y%m%d").to_string(), f["BSOP_DATE"].as_str().unwrap());
        let two = DataFrame::parse(v["raw_frame_2_records"].as_str().unwrap()).unwrap();
        assert_eq!(TradeTick::from_frame(&two).unwrap().len(), 2);
        let broken = one.replacen("^65850^", "^65x50^", 1);
        let err = TradeTick::from_frame(&DataFrame::parse(&broken).unwrap()).unwrap_err();
        assert_eq!(err.field, "STCK_PRPR");
    }

    #[test]
    fn book_frames_parse_to_the_documented_fields() {
        let v = load("ws-H0STASP0.json");
        let frame = DataFrame::parse(v["raw_frame"].as_str().unwrap()).unwrap();
        let book = &BookFrame::from_frame(&frame).unwrap()[0];
        let f = &v["fields"];
        assert_eq!(book.asks.len(), 10);
        assert_eq!(book.bids.len(), 10);
        assert_eq!(book.asks[0].0.to_string(), f["ASKP1"].as_str().unwrap());
        assert_eq!(book.bids[9].1.to_string(), f["BIDP_RSQN10"].as_str().unwrap());
        assert_eq!(book.total_bid.to_string(), f["TOTAL_BIDP_RSQN"].as_str().unwrap());
        assert_eq!(book.volume.to_string(), f["ACML_VOL"].as_str().unwrap());
    }

    #[test]
    fn order_notices_parse_from_their_plaintext() {
        let v = load("ws-H0STCNI0.json");
        let ack = match ServerMessage::parse(&v["ack_for_subscribe"].to_string()).unwrap() {
            ServerMessage::Control(c) => c,
            other => panic!("{other:?}"),
        };
        assert!(ack.encrypted && ack.is_ok());
        let frame = DataFrame::parse(v["raw_frame_fill"].as_str().unwrap()).unwrap();
        assert!(frame.encrypted);
        assert_eq!(frame.tr_id, "H0STCNI0");
        assert!(frame.records(1).is_err(), "encrypted payloads are not split");
        let cipher = hantu_kis::ws::FrameCipher::new(ack.key.as_deref().unwrap(), ack.iv.as_deref().unwrap()).unwrap();
        assert_eq!(cipher.decrypt(frame.payload).unwrap(), v["plaintext_fill"].as_str().unwrap());
        let acc = DataFrame::parse(v["raw_frame_acceptance"].as_str().unwrap()).unwrap();
        assert_eq!(cipher.decrypt(acc.payload).unwrap(), v["plaintext_acceptance"].as_str().unwrap());
        let wrong = hantu_kis::ws::FrameCipher::new("abcdefghijklmnopabcdefghijklmnoq", "0123456789abcdef").unwrap();
        assert!(wrong.decrypt(frame.payload).is_err_and(|e| e.field == "<frame>.payload"));
        let accepted = OrderNotice::from_plaintext(v["plaintext_acceptance"].as_str().unwrap()).unwrap();
        assert_eq!(accepted.kind, NoticeKind::Accepted);
        assert_eq!(accepted.order_no, v["fields_acceptance"]["ODER_NO"].as_str().unwrap());
        let fill = OrderNotice::from_plaintext(v["plaintext_fill"].as_str().unwrap()).unwrap();
        assert_eq!(
            (fill.kind, fill.qty, fill.price.map(|p| p.won()), fill.order_qty),
            (NoticeKind::Fill, 4, Some(65_800), 10)
        );
        assert!(!format!("{fill:?}").contains("1234567801"), "the account number is not kept");
    }
}
