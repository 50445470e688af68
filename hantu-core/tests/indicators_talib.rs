//! Parity with TA-Lib 0.8: every indicator against TA-Lib's own output on the reference series
//! in `testdata/talib/` (see its README).
//!
//! Agreement means: NaN exactly where TA-Lib has NaN (the warm-up), and after it
//! `|ours - talib| <= 1e-9 · max(|ours|, |talib|, 1)`.

use std::path::PathBuf;

use hantu_core::indicators as ind;

struct Inputs {
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/talib")
}

fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("header").split(',').map(str::to_owned).collect();
    let mut cols = vec![Vec::new(); header.len()];
    for line in lines {
        for (col, field) in cols.iter_mut().zip(line.split(',')) {
            col.push(if field.is_empty() { f64::NAN } else { field.parse().expect("number") });
        }
    }
    (header, cols)
}

fn inputs() -> Inputs {
    let (header, cols) = read_csv("inputs.csv");
    let col = |name: &str| cols[header.iter().position(|h| h == name).expect(name)].clone();
    Inputs { high: col("high"), low: col("low"), close: col("close"), volume: col("volume") }
}

/// Compares `ours` with the column `column` of `file`; returns the largest relative error.
fn check(file: &str, column: &str, ours: &[f64]) -> f64 {
    let (header, cols) = read_csv(file);
    let want = &cols[header.iter().position(|h| h == column).unwrap_or_else(|| panic!("{file}: no {column}"))];
    assert_eq!(ours.len(), want.len(), "{file}:{column}: length");
    let mut worst = 0.0f64;
    for (i, (&a, &b)) in ours.iter().zip(want).enumerate() {
        assert_eq!(a.is_nan(), b.is_nan(), "{file}:{column}: bar {i}: ours {a}, TA-Lib {b}");
        if b.is_nan() {
            continue;
        }
        let rel = (a - b).abs() / a.abs().max(b.abs()).max(1.0);
        assert!(rel <= 1e-9, "{file}:{column}: bar {i}: ours {a}, TA-Lib {b} (relative {rel:e})");
        worst = worst.max(rel);
    }
    eprintln!("{file}:{column}: worst relative difference {worst:e}");
    worst
}

#[test]
fn overlap_studies() {
    let x = inputs();
    let c = &x.close;
    check("SMA.csv", "real", &ind::sma(c, 30).unwrap());
    check("SMA__p20.csv", "real", &ind::sma(c, 20).unwrap());
    check("EMA.csv", "real", &ind::ema(c, 30).unwrap());
    check("EMA__p20.csv", "real", &ind::ema(c, 20).unwrap());
    check("WMA.csv", "real", &ind::wma(c, 30).unwrap());
    check("DEMA.csv", "real", &ind::dema(c, 30).unwrap());
    check("TEMA.csv", "real", &ind::tema(c, 30).unwrap());
    check("KAMA.csv", "real", &ind::kama(c, 30).unwrap());
    check("MIDPRICE.csv", "real", &ind::midprice(&x.high, &x.low, 14).unwrap());
    check("SAR.csv", "real", &ind::sar(&x.high, &x.low, 0.02, 0.2).unwrap());
    let b = ind::bbands(c, 20, 2.0, 2.0).unwrap();
    check("BBANDS.csv", "upperband", &b.upper);
    check("BBANDS.csv", "middleband", &b.middle);
    check("BBANDS.csv", "lowerband", &b.lower);
}

#[test]
fn momentum() {
    let x = inputs();
    let (h, l, c) = (&x.high, &x.low, &x.close);
    check("RSI.csv", "real", &ind::rsi(c, 14).unwrap());
    let m = ind::macd(c, 12, 26, 9).unwrap();
    check("MACD.csv", "macd", &m.macd);
    check("MACD.csv", "macdsignal", &m.signal);
    check("MACD.csv", "macdhist", &m.hist);
    let s = ind::stoch(h, l, c, 5, 3, 3).unwrap();
    check("STOCH.csv", "slowk", &s.k);
    check("STOCH.csv", "slowd", &s.d);
    let s = ind::stoch(h, l, c, 14, 3, 3).unwrap();
    check("STOCH__14_3_3.csv", "slowk", &s.k);
    check("STOCH__14_3_3.csv", "slowd", &s.d);
    let s = ind::stochf(h, l, c, 5, 3).unwrap();
    check("STOCHF.csv", "fastk", &s.k);
    check("STOCHF.csv", "fastd", &s.d);
    check("ADX.csv", "real", &ind::adx(h, l, c, 14).unwrap());
    check("PLUS_DI.csv", "real", &ind::plus_di(h, l, c, 14).unwrap());
    check("MINUS_DI.csv", "real", &ind::minus_di(h, l, c, 14).unwrap());
    let s = ind::stochrsi(c, 14, 5, 3).unwrap();
    check("STOCHRSI.csv", "fastk", &s.k);
    check("STOCHRSI.csv", "fastd", &s.d);
    check("CCI.csv", "real", &ind::cci(h, l, c, 14).unwrap());
    check("MFI.csv", "real", &ind::mfi(h, l, c, &x.volume, 14).unwrap());
    check("WILLR.csv", "real", &ind::willr(h, l, c, 14).unwrap());
    check("ROC.csv", "real", &ind::roc(c, 10).unwrap());
    check("MOM.csv", "real", &ind::mom(c, 10).unwrap());
    let a = ind::aroon(h, l, 14).unwrap();
    check("AROON.csv", "aroondown", &a.down);
    check("AROON.csv", "aroonup", &a.up);
    check("CMO.csv", "real", &ind::cmo(c, 14).unwrap());
    check("TRIX.csv", "real", &ind::trix(c, 30).unwrap());
    check("ULTOSC.csv", "real", &ind::ultosc(h, l, c, 7, 14, 28).unwrap());
}

#[test]
fn statistics() {
    let c = &inputs().close;
    check("STDDEV.csv", "real", &ind::stddev(c, 5, 1.0).unwrap());
    check("VAR.csv", "real", &ind::var(c, 5).unwrap());
    check("LINEARREG.csv", "real", &ind::linearreg(c, 14).unwrap());
}

#[test]
fn volatility_and_volume() {
    let x = inputs();
    let (h, l, c, v) = (&x.high, &x.low, &x.close, &x.volume);
    check("ATR.csv", "real", &ind::atr(h, l, c, 14).unwrap());
    check("TRANGE.csv", "real", &ind::trange(h, l, c).unwrap());
    check("NATR.csv", "real", &ind::natr(h, l, c, 14).unwrap());
    check("OBV.csv", "real", &ind::obv(c, v).unwrap());
    check("AD.csv", "real", &ind::ad(h, l, c, v).unwrap());
    check("ADOSC.csv", "real", &ind::adosc(h, l, c, v, 3, 10).unwrap());
}

#[test]
fn lookbacks_match_talib_index() {
    let index = std::fs::read_to_string(dir().join("index.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&index).unwrap();
    let lookback = |file: &str| -> usize {
        let f = json["functions"].as_array().unwrap().iter().find(|f| f["file"] == file).unwrap();
        usize::try_from(f["lookback"].as_u64().unwrap()).unwrap()
    };
    assert_eq!(ind::sma_lookback(30), lookback("SMA.csv"));
    assert_eq!(ind::ema_lookback(30), lookback("EMA.csv"));
    assert_eq!(ind::rsi_lookback(14), lookback("RSI.csv"));
    assert_eq!(ind::macd_lookback(12, 26, 9), lookback("MACD.csv"));
    assert_eq!(ind::bbands_lookback(20), lookback("BBANDS.csv"));
    assert_eq!(ind::atr_lookback(14), lookback("ATR.csv"));
    assert_eq!(ind::trange_lookback(), lookback("TRANGE.csv"));
    assert_eq!(ind::stoch_lookback(5, 3, 3), lookback("STOCH.csv"));
    assert_eq!(ind::stochf_lookback(5, 3), lookback("STOCHF.csv"));
    assert_eq!(ind::adx_lookback(14), lookback("ADX.csv"));
    assert_eq!(ind::plus_di_lookback(14), lookback("PLUS_DI.csv"));
    assert_eq!(ind::minus_di_lookback(14), lookback("MINUS_DI.csv"));
    assert_eq!(ind::obv_lookback(), lookback("OBV.csv"));
    assert_eq!(ind::wma_lookback(30), lookback("WMA.csv"));
    assert_eq!(ind::dema_lookback(30), lookback("DEMA.csv"));
    assert_eq!(ind::tema_lookback(30), lookback("TEMA.csv"));
    assert_eq!(ind::kama_lookback(30), lookback("KAMA.csv"));
    assert_eq!(ind::natr_lookback(14), lookback("NATR.csv"));
    assert_eq!(ind::stochrsi_lookback(14, 5, 3), lookback("STOCHRSI.csv"));
    assert_eq!(ind::cci_lookback(14), lookback("CCI.csv"));
    assert_eq!(ind::mfi_lookback(14), lookback("MFI.csv"));
    assert_eq!(ind::willr_lookback(14), lookback("WILLR.csv"));
    assert_eq!(ind::roc_lookback(10), lookback("ROC.csv"));
    assert_eq!(ind::mom_lookback(10), lookback("MOM.csv"));
    assert_eq!(ind::sar_lookback(), lookback("SAR.csv"));
    assert_eq!(ind::aroon_lookback(14), lookback("AROON.csv"));
    assert_eq!(ind::cmo_lookback(14), lookback("CMO.csv"));
    assert_eq!(ind::trix_lookback(30), lookback("TRIX.csv"));
    assert_eq!(ind::ultosc_lookback(7, 14, 28), lookback("ULTOSC.csv"));
    assert_eq!(ind::adosc_lookback(3, 10), lookback("ADOSC.csv"));
    assert_eq!(ind::ad_lookback(), lookback("AD.csv"));
    assert_eq!(ind::stddev_lookback(5), lookback("STDDEV.csv"));
    assert_eq!(ind::var_lookback(5), lookback("VAR.csv"));
    assert_eq!(ind::linearreg_lookback(14), lookback("LINEARREG.csv"));
    assert_eq!(ind::midprice_lookback(14), lookback("MIDPRICE.csv"));
}

#[test]
fn moving_average_types() {
    use ind::MaType::{Dema, Ema, Kama, Sma, Tema, Wma};
    let x = inputs();
    let (h, l, c) = (&x.high, &x.low, &x.close);
    let index = std::fs::read_to_string(dir().join("index.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&index).unwrap();
    let lookback = |file: &str| -> usize {
        let f = json["functions"].as_array().unwrap().iter().find(|f| f["file"] == file).unwrap();
        usize::try_from(f["lookback"].as_u64().unwrap()).unwrap()
    };
    for (file, fast, ft, slow, st, signal, gt) in [
        ("MACDEXT.csv", 12, Ema, 26, Ema, 9, Ema),
        ("MACDEXT__mixed.csv", 10, Dema, 21, Wma, 7, Sma),
        ("MACDEXT__kama_tema.csv", 30, Kama, 8, Tema, 5, Ema),
    ] {
        let m = ind::macdext(c, fast, ft, slow, st, signal, gt).unwrap();
        check(file, "macd", &m.macd);
        check(file, "macdsignal", &m.signal);
        check(file, "macdhist", &m.hist);
        assert_eq!(ind::macdext_lookback(fast, ft, slow, st, signal, gt), lookback(file), "{file}");
    }
    let m = ind::macdfix(c, 9).unwrap();
    check("MACDFIX.csv", "macd", &m.macd);
    check("MACDFIX.csv", "macdsignal", &m.signal);
    check("MACDFIX.csv", "macdhist", &m.hist);
    assert_eq!(ind::macdfix_lookback(9), lookback("MACDFIX.csv"));
    for (file, period, up, dn, t) in [("BBANDS__ema.csv", 20, 2.0, 1.5, Ema), ("BBANDS__tema.csv", 10, 2.0, 2.0, Tema)]
    {
        let b = ind::bbands_ma(c, period, up, dn, t).unwrap();
        check(file, "upperband", &b.upper);
        check(file, "middleband", &b.middle);
        check(file, "lowerband", &b.lower);
        assert_eq!(ind::ma_lookback(period, t), lookback(file), "{file}");
    }
    for (file, fastk, slowk, kt, slowd, dt) in
        [("STOCH__ema_wma.csv", 14, 3, Ema, 5, Wma), ("STOCH__dema_kama.csv", 9, 4, Dema, 3, Kama)]
    {
        let s = ind::stoch_ma(h, l, c, fastk, slowk, slowd, kt, dt).unwrap();
        check(file, "slowk", &s.k);
        check(file, "slowd", &s.d);
        assert_eq!(ind::stoch_ma_lookback(fastk, slowk, slowd, kt, dt), lookback(file), "{file}");
    }
    // With SMA everywhere they are the plain indicators, bit for bit.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let (a, b) = (ind::bbands_ma(c, 20, 2.0, 2.0, Sma).unwrap(), ind::bbands(c, 20, 2.0, 2.0).unwrap());
    assert!(bits(&a.upper) == bits(&b.upper) && bits(&a.middle) == bits(&b.middle) && bits(&a.lower) == bits(&b.lower));
    let (a, b) = (ind::stoch_ma(h, l, c, 5, 3, 3, Sma, Sma).unwrap(), ind::stoch(h, l, c, 5, 3, 3).unwrap());
    assert!(bits(&a.k) == bits(&b.k) && bits(&a.d) == bits(&b.d));
    for code in [5, 7, 8, 9] {
        assert!(matches!(ind::MaType::from_code("matype", code), Err(ind::IndicatorError::Param { .. })), "{code}");
    }
    assert_eq!(ind::MaType::from_code("matype", 6).unwrap(), Kama);
}
