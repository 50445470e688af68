//! The local server's replies carry the same keys, blocks and headers as the golden samples,
//! so an independent KIS client would not notice the difference.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::Rig;
use hantu_kis::Environment;

fn sample(name: &str) -> Value {
    let path = format!("{}/test_data/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("_meta");
    v
}

/// Keys of a block (first row for arrays).
fn keys(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => a.first().map(keys).unwrap_or_default(),
        _ => BTreeSet::new(),
    }
}

#[tokio::test]
async fn replies_match_the_golden_key_sets() {
    let rig =
        Rig::with(Environment::Real, |c| c.with_holding(hantu_core::domain::StockCode::new("005930"), 24, 64_250))
            .await;
    let client = rig.client();
    let token = client.tokens().token().await.unwrap();
    let (key, secret) = rig.server.app();
    let acct = rig.server.account();
    let (cano, prdt) = acct.split_once('-').unwrap();
    let q = "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930";
    let acc = format!("CANO={cano}&ACNT_PRDT_CD={prdt}");
    let cases: Vec<(&str, &str, String, &str)> = vec![
        ("inquire-price", "FHKST01010100", q.into(), "quotations"),
        ("inquire-ccnl", "FHKST01010300", q.into(), "quotations"),
        (
            "inquire-daily-itemchartprice",
            "FHKST03010100",
            format!("{q}&FID_INPUT_DATE_1=20250601&FID_INPUT_DATE_2=20250725&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=0"),
            "quotations",
        ),
        ("inquire-daily-price", "FHKST01010400", format!("{q}&FID_PERIOD_DIV_CODE=D&FID_ORG_ADJ_PRC=0"), "quotations"),
        (
            "inquire-time-itemchartprice",
            "FHKST03010200",
            format!("FID_ETC_CLS_CODE=&{q}&FID_INPUT_HOUR_1=100000&FID_PW_DATA_INCU_YN=N"),
            "quotations",
        ),
        (
            "inquire-time-dailychartprice",
            "FHKST03010230",
            format!(
                "{q}&FID_INPUT_HOUR_1=153000&FID_INPUT_DATE_1=20250724&FID_PW_DATA_INCU_YN=N&FID_FAKE_TICK_INCU_YN="
            ),
            "quotations",
        ),
        ("inquire-asking-price-exp-ccn", "FHKST01010200", q.into(), "quotations"),
        (
            "volume-rank",
            "FHPST01710000",
            "FID_COND_MRKT_DIV_CODE=J&FID_COND_SCR_DIV_CODE=20171&FID_INPUT_ISCD=0000".into(),
            "quotations",
        ),
        (
            "inquire-balance",
            "TTTC8434R",
            format!(
                "{acc}&AFHR_FLPR_YN=N&OFL_YN=&INQR_DVSN=02&UNPR_DVSN=01&FUND_STTL_ICLD_YN=N&FNCG_AMT_AUTO_RDPT_YN=N&PRCS_DVSN=00&ctx_area_fk100=&ctx_area_nk100="
            ),
            "trading",
        ),
        (
            "inquire-psbl-order",
            "TTTC8908R",
            format!("{acc}&PDNO=005930&ORD_UNPR=&ORD_DVSN=01&CMA_EVLU_AMT_ICLD_YN=N&OVRS_ICLD_YN=N"),
            "trading",
        ),
        ("inquire-psbl-sell", "TTTC8408R", format!("{acc}&PDNO=005930"), "trading"),
        ("search-info", "CTPF1604R", "PDNO=005930&PRDT_TYPE_CD=300".into(), "quotations"),
        ("search-stock-info", "CTPF1002R", "PRDT_TYPE_CD=300&PDNO=005930".into(), "quotations"),
        ("chk-holiday", "CTCA0903R", "BASS_DT=20250725&CTX_AREA_NK=&CTX_AREA_FK=".into(), "quotations"),
        ("psearch-title", "HHKST03900300", "user_id=me".into(), "quotations"),
        ("psearch-result", "HHKST03900400", "user_id=me&seq=0".into(), "quotations"),
    ];
    let http = reqwest::Client::new();
    for (name, tr_id, query, group) in cases {
        let url = format!("{}/uapi/domestic-stock/v1/{group}/{name}?{query}", rig.server.base_url());
        let resp = http
            .get(url)
            .header("authorization", format!("Bearer {}", token.secret().expose()))
            .header("appkey", &key)
            .header("appsecret", &secret)
            .header("tr_id", tr_id)
            .header("custtype", "P")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(resp.headers().get("tr_id").unwrap(), tr_id, "{name}: tr_id echoed");
        assert!(resp.headers().contains_key("gt_uid"), "{name}");
        let paged = matches!(name, "inquire-balance" | "chk-holiday");
        assert_eq!(resp.headers().contains_key("tr_cont"), paged, "{name}: tr_cont on paged replies");
        let body: Value = resp.json().await.unwrap();
        let golden = sample(name);
        assert_eq!(keys(&body), keys(&golden), "{name}: top-level keys");
        for (block, v) in golden.as_object().unwrap() {
            if block.starts_with("output") {
                assert_eq!(keys(&body[block]), keys(v), "{name}.{block}");
            }
        }
        for (k, v) in body["output"].as_object().into_iter().flatten() {
            assert!(v.is_string(), "{name}.output.{k}: numbers are strings");
        }
    }
}
