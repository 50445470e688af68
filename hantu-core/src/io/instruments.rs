//! The instrument list in the layout of `../shared/data/krx/stocks.csv` (the KIS master files).

use std::path::Path;

use super::{FileReport, RowError, column, open_csv};
use crate::domain::{Instrument, InstrumentKind, Market, StockCode};
use crate::{Error, Result};

/// Reads an instrument list: columns `code`, `name`, `market` (required) and `group`,
/// `sector_large`, `lot_size` (optional). Kind comes from the KIS group code: `ST` stock, `EF`
/// ETF, `EN` ETN, any other code `Other`. A blank group counts as a stock, because the only rows
/// without one are the KONEX listings, which are all stocks. A blank lot size means 1.
///
/// Rows whose code is longer than a 6-character short code (the funds and some ETNs of the KIS
/// master, e.g. `F70100030`) are skipped: they cannot be a [`StockCode`], so hantu cannot trade
/// them. [`read_instruments_csv_report`] lists them.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Data`] naming the line and column of the
/// first bad row (unknown market, bad code, bad lot size) or a missing required column.
pub fn read_instruments_csv(path: impl AsRef<Path>) -> Result<Vec<Instrument>> {
    let path = path.as_ref();
    let mut out = Vec::new();
    read_rows(path, |line, row| match row {
        Ok(i) => {
            out.push(i);
            Ok(())
        }
        Err(Row::NotShortCode(_)) => Ok(()),
        Err(Row::Bad(e)) => Err(Error::data(path, line, e.to_string_without_line())),
    })?;
    Ok(out)
}

/// Reads an instrument list like [`read_instruments_csv`], keeping the good rows and reporting
/// every row it did not use (including skipped long codes) with its line and column.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Data`] if a required column is missing.
pub fn read_instruments_csv_report(path: impl AsRef<Path>) -> Result<(Vec<Instrument>, FileReport)> {
    let path = path.as_ref();
    let mut out = Vec::new();
    let mut report = FileReport::new(path);
    read_rows(path, |_, row| {
        match row {
            Ok(i) => out.push(i),
            Err(Row::NotShortCode(e) | Row::Bad(e)) => report.rejected.push(e),
        }
        Ok(())
    })?;
    report.accepted = out.len();
    Ok((out, report))
}

enum Row {
    /// A code of another length: a fund or ETN hantu does not trade.
    NotShortCode(RowError),
    /// A malformed row.
    Bad(RowError),
}

impl RowError {
    fn to_string_without_line(&self) -> String {
        match self.field {
            Some(f) => format!("{f}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

fn read_rows(path: &Path, mut each: impl FnMut(u64, std::result::Result<Instrument, Row>) -> Result<()>) -> Result<()> {
    let (mut rdr, header) = open_csv(path)?;
    let required =
        |name: &str| column(&header, name).ok_or_else(|| Error::data(path, 1, format!("missing column {name}")));
    let (code_i, name_i, market_i) = (required("code")?, required("name")?, required("market")?);
    let group_i = column(&header, "group");
    let sector_i = column(&header, "sector_large");
    let lot_i = column(&header, "lot_size");

    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 2;
        let bad = |field: Option<&'static str>, message: String| Row::Bad(RowError { line, field, message });
        let row = match rec {
            Err(e) => Err(bad(None, format!("unreadable row: {e}"))),
            Ok(rec) => {
                let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim).unwrap_or("");
                parse_row(&get, code_i, name_i, market_i, group_i, sector_i, lot_i).map_err(|(field, message)| {
                    let e = RowError { line, field: Some(field), message };
                    let code = get(Some(code_i));
                    if field == "code" && code.len() > 6 && code.bytes().all(|c| c.is_ascii_alphanumeric()) {
                        Row::NotShortCode(e)
                    } else {
                        Row::Bad(e)
                    }
                })
            }
        };
        each(line, row)?;
    }
    Ok(())
}

fn parse_row<'a>(
    get: &impl Fn(Option<usize>) -> &'a str,
    code_i: usize,
    name_i: usize,
    market_i: usize,
    group_i: Option<usize>,
    sector_i: Option<usize>,
    lot_i: Option<usize>,
) -> std::result::Result<Instrument, (&'static str, String)> {
    let code = StockCode::new_checked(get(Some(code_i))).map_err(|e| ("code", e.to_string()))?;
    let market: Market =
        get(Some(market_i)).parse().map_err(|e: crate::domain::ValidationError| ("market", e.to_string()))?;
    let kind = match get(group_i) {
        "ST" | "" => InstrumentKind::Stock,
        "EF" => InstrumentKind::Etf,
        "EN" => InstrumentKind::Etn,
        _ => InstrumentKind::Other,
    };
    let sector = Some(get(sector_i)).filter(|s| !s.is_empty()).map(str::to_owned);
    let lot = match get(lot_i) {
        "" => 1,
        s => s
            .parse::<u32>()
            .ok()
            .filter(|&l| l > 0)
            .ok_or_else(|| ("lot_size", format!("{s:?} is not a positive integer")))?,
    };
    Ok(Instrument { code, name: get(Some(name_i)).to_owned(), market, sector, lot, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,market,group,isin,sector_large,lot_size\n";

    #[test]
    fn kinds_sectors_and_lots_follow_the_master_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("stocks.csv");
        let text = format!(
            "{HEADER}000020,동화약품,KOSPI,ST,KR7000020008,제조,1\n\
             069500,KODEX 200,KOSPI,EF,KR7069500007,,1\n\
             500001,ETN one,KOSPI,EN,,,1\n\
             088980,맥쿼리인프라,KOSPI,IF,,,\n\
             052960,태양3C,KONEX,,,,\n"
        );
        std::fs::write(&p, text).unwrap();
        let got = read_instruments_csv(&p).unwrap();
        let kinds: Vec<_> = got.iter().map(|i| i.kind).collect();
        use InstrumentKind::*;
        assert_eq!(kinds, [Stock, Etf, Etn, Other, Stock]);
        assert_eq!(got[0].sector.as_deref(), Some("제조"));
        assert_eq!(got[1].sector, None);
        assert_eq!(got[4].market, Market::Konex);
        assert!(got.iter().all(|i| i.lot == 1));
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("stocks.csv");
        std::fs::write(&p, format!("{HEADER}000020,a,KOSPI,ST,,,1\n000040,b,NYSE,ST,,,1\n")).unwrap();
        match read_instruments_csv(&p) {
            Err(Error::Data { line: 3, message, .. }) => assert!(message.starts_with("market:"), "{message}"),
            other => panic!("{other:?}"),
        }
        std::fs::write(&p, format!("{HEADER}000020,a,KOSPI,ST,,,0\n")).unwrap();
        assert!(matches!(read_instruments_csv(&p), Err(Error::Data { line: 2, .. })));
        std::fs::write(
            &p,
            format!("{HEADER}000020,a,KOSPI,ST,,,1\nF70100030,fund,KOSPI,BC,,,1\n000040,b,KOSPI,ST,,,1\n"),
        )
        .unwrap();
        assert_eq!(read_instruments_csv(&p).unwrap().len(), 2);
        let (got, report) = read_instruments_csv_report(&p).unwrap();
        assert_eq!((got.len(), report.accepted), (2, 2));
        assert_eq!(report.rejected.iter().map(|r| (r.line, r.field)).collect::<Vec<_>>(), [(3, Some("code"))]);
        std::fs::write(&p, "code,name\n000020,a\n").unwrap();
        assert!(matches!(read_instruments_csv(&p), Err(Error::Data { line: 1, .. })));
    }
}
