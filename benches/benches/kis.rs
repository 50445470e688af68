//! KIS adapter: response parsing (full pages: balance with 50 holdings, daily chart with 100
//! bars; criterion's element throughput is responses per second) and rate-limiter overhead.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use hantu_kis::json::Json;
use hantu_kis::parse::Obj;
use hantu_kis::ratelimit::RateLimiter;
use hantu_kis::rest::{AccountBalance, DailyChart, FromKis};
use serde_json::Value;

fn sample(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).expect("sample is JSON");
    if let Some(m) = v.as_object_mut() {
        m.remove("_meta");
    }
    v
}

/// A full real balance page: the sample's first holding repeated 50 times.
fn balance_body() -> Vec<u8> {
    let mut v = sample(include_str!("../../hantu-kis/test_data/inquire-balance.json"));
    let row = v["output1"][0].clone();
    v["output1"] = Value::Array(vec![row; 50]);
    serde_json::to_vec(&v).expect("serialises")
}

/// A full daily-chart page: 100 bars with distinct dates.
fn chart_body() -> Vec<u8> {
    let mut v = sample(include_str!("../../hantu-kis/test_data/inquire-daily-itemchartprice.json"));
    let row = v["output2"][0].clone();
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 25).expect("date");
    let rows = (0..100)
        .map(|i| {
            let mut r = row.clone();
            r["stck_bsop_date"] = Value::String((start - chrono::Duration::days(i)).format("%Y%m%d").to_string());
            r
        })
        .collect();
    v["output2"] = Value::Array(rows);
    serde_json::to_vec(&v).expect("serialises")
}

/// The client's path: borrowed JSON tree, then typed fields.
fn parse<T: FromKis>(bytes: &[u8]) -> T {
    let j = Json::parse(bytes).expect("JSON");
    T::from_kis(Obj::root_json(&j).expect("object")).expect("parses")
}

/// The same through `serde_json::Value` (for comparison).
fn parse_via_value<T: FromKis>(bytes: &[u8]) -> T {
    let v: Value = serde_json::from_slice(bytes).expect("JSON");
    T::from_kis(Obj::root(&v).expect("object")).expect("parses")
}

fn bench_parsing(c: &mut Criterion) {
    let mut g = c.benchmark_group("kis/parse");
    g.throughput(Throughput::Elements(1));
    let balance = balance_body();
    g.bench_function("inquire-balance (50 holdings)", |b| {
        b.iter(|| black_box(parse::<AccountBalance>(black_box(&balance))))
    });
    let chart = chart_body();
    g.bench_function("inquire-daily-itemchartprice (100 bars)", |b| {
        b.iter(|| black_box(parse::<DailyChart>(black_box(&chart))))
    });
    g.bench_function("inquire-daily-itemchartprice via serde_json::Value (100 bars)", |b| {
        b.iter(|| black_box(parse_via_value::<DailyChart>(black_box(&chart))))
    });
    g.finish();
}

fn bench_limiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("kis/ratelimit");
    g.throughput(Throughput::Elements(1));
    let limiter = RateLimiter::new(1e12, 1);
    g.bench_function("reserve (uncontended)", |b| b.iter(|| black_box(limiter.reserve_at(black_box(Instant::now())))));
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    g.bench_function("acquire (no wait)", |b| b.iter(|| rt.block_on(limiter.acquire())));
    g.finish();
}

criterion_group!(benches, bench_parsing, bench_limiter);
