//! Fundamentals in the layout of `../shared/data/krx/fundamentals.csv`.

use std::path::Path;

use chrono::NaiveDate;

use super::{column, open_csv, parse_date};
use crate::domain::{Fundamentals, StockCode};
use crate::{Error, Result};

/// Reads fundamentals: `code` and `price_date` (the as-of date) are required; `per`, `pbr`, `eps`,
/// `bps`, `roe_pct`, `debt_ratio_pct`, `market_cap_100m_krw` (× 10⁸ won) and `listed_shares_k`
/// (× 1,000 shares) are read when present. A blank value is unknown (`None`), never zero.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Data`] naming line and column of the first
/// value that is not a number, or a missing required column.
pub fn read_fundamentals_csv(path: impl AsRef<Path>) -> Result<Vec<Fundamentals>> {
    let path = path.as_ref();
    let (mut rdr, header) = open_csv(path)?;
    let required =
        |name: &str| column(&header, name).ok_or_else(|| Error::data(path, 1, format!("missing column {name}")));
    let code_i = required("code")?;
    let date_i = column(&header, "price_date").or_else(|| column(&header, "as_of"));
    let date_i = date_i.ok_or_else(|| Error::data(path, 1, "missing column price_date"))?;
    let ratio_cols = ["per", "pbr", "eps", "bps", "roe_pct", "debt_ratio_pct"].map(|n| (n, column(&header, n)));
    let cap_i = column(&header, "market_cap_100m_krw");
    let shares_i = column(&header, "listed_shares_k");

    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 2;
        let rec = rec.map_err(|e| Error::data(path, line, format!("unreadable row: {e}")))?;
        let bad = |field: &str, raw: &str| Error::data(path, line, format!("{field}: {raw:?} is not a number"));
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim).unwrap_or("");
        let float = |name: &str, i: Option<usize>| -> Result<Option<f64>> {
            match get(i) {
                "" => Ok(None),
                s => s.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some).ok_or_else(|| bad(name, s)),
            }
        };
        let scaled = |name: &str, i: Option<usize>, scale: i64| -> Result<Option<i64>> {
            match get(i) {
                "" => Ok(None),
                s => s.parse::<i64>().ok().and_then(|v| v.checked_mul(scale)).map(Some).ok_or_else(|| bad(name, s)),
            }
        };
        let code =
            StockCode::new_checked(get(Some(code_i))).map_err(|e| Error::data(path, line, format!("code: {e}")))?;
        let raw_date = get(Some(date_i));
        let as_of: NaiveDate = parse_date(raw_date.as_bytes())
            .ok_or_else(|| Error::data(path, line, format!("price_date: {raw_date:?} is not a YYYY-MM-DD date")))?;
        let mut f = Fundamentals::unknown(code, as_of);
        let [per, pbr, eps, bps, roe, debt] = ratio_cols;
        f.per = float(per.0, per.1)?;
        f.pbr = float(pbr.0, pbr.1)?;
        f.eps = float(eps.0, eps.1)?;
        f.bps = float(bps.0, bps.1)?;
        f.roe_pct = float(roe.0, roe.1)?;
        f.debt_ratio_pct = float(debt.0, debt.1)?;
        f.market_cap = scaled("market_cap_100m_krw", cap_i, 100_000_000)?;
        f.listed_shares = scaled("listed_shares_k", shares_i, 1_000)?
            .map(|v| u64::try_from(v).map_err(|_| bad("listed_shares_k", get(shares_i))))
            .transpose()?;
        out.push(f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_unknown_and_caps_are_scaled() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fundamentals.csv");
        std::fs::write(
            &p,
            "code,name,market,price_date,price,per,pbr,eps,bps,roe_pct,market_cap_100m_krw,listed_shares_k\n\
             000020,동화약품,KOSPI,2026-07-27,4925,15.84,0.36,311,13692,4.93,1395,27931\n\
             000040,KR모터스,KOSPI,2026-07-27,267,,,-27,,,230,\n",
        )
        .unwrap();
        let got = read_fundamentals_csv(&p).unwrap();
        assert_eq!(got[0].per, Some(15.84));
        assert_eq!(got[0].market_cap, Some(139_500_000_000));
        assert_eq!(got[0].listed_shares, Some(27_931_000));
        assert_eq!(got[0].debt_ratio_pct, None);
        assert_eq!(got[1].per, None);
        assert_eq!(got[1].eps, Some(-27.0));
        assert_eq!(got[1].listed_shares, None);
        assert_eq!(got[1].as_of, NaiveDate::from_ymd_opt(2026, 7, 27).unwrap());
    }

    #[test]
    fn a_bad_number_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, "code,price_date,per\n000020,2026-07-27,1.5\n000040,2026-07-27,n/a\n").unwrap();
        match read_fundamentals_csv(&p) {
            Err(Error::Data { line: 3, message, .. }) => assert!(message.starts_with("per:"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
