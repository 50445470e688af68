//! Daily bars as CSV: `date,open,high,low,close,volume`, one file per stock named `<code>.csv`.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use csv::ByteRecord;
use rayon::prelude::*;

use super::{FileReport, RowError, parse_date, parse_u64};
use crate::domain::{Bar, Price, StockCode, Timestamp};
use crate::{Error, Result};

const COLUMNS: [&str; 6] = ["date", "open", "high", "low", "close", "volume"];

/// Every series of a folder and what happened to each file.
#[derive(Clone, Debug, Default)]
pub struct CsvDir {
    /// One entry per readable file: the code (from the file name) and its accepted bars, ascending.
    pub series: Vec<(StockCode, Vec<Bar>)>,
    /// One report per file, in file-name order (including files refused as a whole).
    pub reports: Vec<FileReport>,
}

impl CsvDir {
    /// Bars accepted over all files.
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.reports.iter().map(|r| r.accepted).sum()
    }

    /// Rows rejected over all files.
    #[must_use]
    pub fn rejected(&self) -> usize {
        self.reports.iter().map(|r| r.rejected.len()).sum()
    }
}

/// Reads one daily-bar file for `code`, refusing it at the first bad row.
///
/// Prices need not lie on the tick grid (adjusted history does not), but must be positive whole
/// won; dates must be strictly ascending.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Data`] naming the line and field of the first
/// bad row, or line 1 when a column is missing.
pub fn read_daily_csv(path: impl AsRef<Path>, code: StockCode) -> Result<Vec<Bar>> {
    let path = path.as_ref();
    let (bars, report) = read_daily_csv_report(path, code)?;
    if let Some(e) = &report.file_error {
        return Err(Error::data(path, 1, e.clone()));
    }
    if let Some(r) = report.rejected.first() {
        let message = match r.field {
            Some(f) => format!("{f}: {}", r.message),
            None => r.message.clone(),
        };
        return Err(Error::data(path, r.line, message));
    }
    Ok(bars)
}

/// Reads one daily-bar file for `code`, keeping the good rows and reporting the bad ones.
/// A file without the needed columns comes back empty with [`FileReport::file_error`] set.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened.
pub fn read_daily_csv_report(path: impl AsRef<Path>, code: StockCode) -> Result<(Vec<Bar>, FileReport)> {
    let path = path.as_ref();
    let file = fs::File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let mut report = FileReport::new(path);
    let cols = match rdr.byte_headers() {
        Ok(h) => match column_indices(h) {
            Ok(c) => c,
            Err(missing) => return Ok((Vec::new(), FileReport::failed(path, format!("missing column {missing}")))),
        },
        Err(e) => return Ok((Vec::new(), FileReport::failed(path, format!("unreadable header: {e}")))),
    };
    let mut bars: Vec<Bar> = Vec::new();
    let mut rec = ByteRecord::new();
    let mut line = 1u64;
    loop {
        line += 1;
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.rejected.push(RowError { line, field: None, message: format!("unreadable row: {e}") });
                continue;
            }
        }
        match parse_bar(&rec, &cols, code, line, bars.last()) {
            Ok(bar) => bars.push(bar),
            Err(e) => report.rejected.push(e),
        }
    }
    report.accepted = bars.len();
    Ok((bars, report))
}

/// The `<code>.csv` files of a folder in name order, skipping names that start with `_`
/// (manifests and other side files).
///
/// # Errors
/// [`Error::Io`] if the folder cannot be listed.
pub fn list_csv_dir(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let io_err = |source| Error::Io { path: dir.to_path_buf(), source };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err)? {
        let path = entry.map_err(io_err)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && !name.starts_with('_') && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads one `<code>.csv` of a folder, taking the code from the file name. Never fails: a
/// file that cannot be used comes back as `None` with [`FileReport::file_error`] saying why.
#[must_use]
pub fn read_code_csv(path: &Path) -> (Option<(StockCode, Vec<Bar>)>, FileReport) {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let code = match StockCode::new_checked(stem) {
        Ok(c) => c,
        Err(e) => return (None, FileReport::failed(path, format!("file name is not a stock code: {e}"))),
    };
    match read_daily_csv_report(path, code) {
        Ok((bars, report)) if report.file_error.is_none() => (Some((code, bars)), report),
        Ok((_, report)) => (None, report),
        Err(e) => (None, FileReport::failed(path, e.to_string())),
    }
}

/// Reads every `<code>.csv` in `dir` (in parallel), skipping files whose names start with `_`.
/// Bad rows and bad files are reported, not fatal.
///
/// # Errors
/// [`Error::Io`] if the folder cannot be listed.
pub fn read_csv_dir(dir: impl AsRef<Path>) -> Result<CsvDir> {
    let files = list_csv_dir(dir)?;
    let results: Vec<_> = files.par_iter().map(|p| read_code_csv(p)).collect();
    let mut out = CsvDir::default();
    for (series, report) in results {
        out.series.extend(series);
        out.reports.push(report);
    }
    Ok(out)
}

/// Writes bars (one stock, ascending) as a daily CSV. The file is written beside its final name
/// and renamed into place, so a reader never sees half a file.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_daily_csv(path: impl AsRef<Path>, bars: &[Bar]) -> Result<()> {
    let path = path.as_ref();
    let io_err = |source| Error::Io { path: path.to_path_buf(), source };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut w = BufWriter::new(fs::File::create(&tmp).map_err(io_err)?);
    writeln!(w, "{}", COLUMNS.join(",")).map_err(io_err)?;
    for b in bars {
        writeln!(
            w,
            "{},{},{},{},{},{}",
            b.ts.kst_date(),
            b.open.won(),
            b.high.won(),
            b.low.won(),
            b.close.won(),
            b.volume
        )
        .map_err(io_err)?;
    }
    w.into_inner().map_err(|e| io_err(e.into_error()))?.sync_all().map_err(io_err)?;
    fs::rename(&tmp, path).map_err(io_err)
}

/// Writes each series as `<dir>/<code>.csv`, creating `dir` if needed. Returns the files written.
///
/// # Errors
/// [`Error::Io`] if the folder or a file cannot be written.
pub fn export_csv_dir<'a>(
    dir: impl AsRef<Path>,
    series: impl IntoIterator<Item = (StockCode, &'a [Bar])>,
) -> Result<usize> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut n = 0;
    for (code, bars) in series {
        write_daily_csv(dir.join(format!("{code}.csv")), bars)?;
        n += 1;
    }
    Ok(n)
}

fn column_indices(header: &ByteRecord) -> std::result::Result<[usize; 6], &'static str> {
    let mut idx = [0usize; 6];
    for (slot, name) in idx.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| {
                std::str::from_utf8(h).is_ok_and(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            })
            .ok_or(name)?;
    }
    Ok(idx)
}

fn parse_bar(
    rec: &ByteRecord,
    cols: &[usize; 6],
    code: StockCode,
    line: u64,
    prev: Option<&Bar>,
) -> std::result::Result<Bar, RowError> {
    let err = |field: Option<&'static str>, message: String| RowError { line, field, message };
    let field = |i: usize| -> std::result::Result<&[u8], RowError> {
        rec.get(cols[i]).map(<[u8]>::trim_ascii).ok_or_else(|| err(Some(COLUMNS[i]), "missing".into()))
    };
    let raw = field(0)?;
    let date = parse_date(raw)
        .ok_or_else(|| err(Some("date"), format!("{:?} is not a YYYY-MM-DD date", String::from_utf8_lossy(raw))))?;
    let ts = Timestamp::daily_close(date);
    if let Some(p) = prev {
        if ts == p.ts {
            return Err(err(Some("date"), format!("duplicate date {date}")));
        }
        if ts < p.ts {
            return Err(err(Some("date"), format!("{date} is out of order (after {})", p.ts)));
        }
    }
    let mut prices = [Price::new(1); 4];
    for (i, slot) in prices.iter_mut().enumerate() {
        let name = COLUMNS[i + 1];
        let raw = field(i + 1)?;
        *slot =
            parse_u64(raw).and_then(|v| i64::try_from(v).ok()).and_then(|v| Price::new_checked(v).ok()).ok_or_else(
                || err(Some(name), format!("{:?} is not a positive whole number of won", String::from_utf8_lossy(raw))),
            )?;
    }
    let raw = field(5)?;
    let volume = parse_u64(raw).ok_or_else(|| {
        err(Some("volume"), format!("{:?} is not a whole number of shares", String::from_utf8_lossy(raw)))
    })?;
    let [open, high, low, close] = prices;
    Bar::new_checked(code, ts, open, high, low, close, volume).map_err(|e| err(None, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn bad_rows_are_reported_with_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let text = "date,open,high,low,close,volume\n\
                    2024-01-02,100,110,90,105,1000\n\
                    2024-01-02,100,110,90,105,1000\n\
                    2024-01-01,100,110,90,105,1000\n\
                    2024-01-03,abc,110,90,105,1000\n\
                    2024-01-04,100,110,90,105,-5\n\
                    2024-01-05,100,90,110,105,1000\n\
                    2024-01-06,0,110,90,105,1000\n\
                    2024-13-07,100,110,90,105,1000\n\
                    2024-01-08,100,110,90\n\
                    2024-01-09,101,111,91,106,2000\n";
        let p = write(dir.path(), "005930.csv", text);
        let code = StockCode::new("005930");
        let (bars, report) = read_daily_csv_report(&p, code).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(report.accepted, 2);
        let got: Vec<_> = report.rejected.iter().map(|r| (r.line, r.field)).collect();
        assert_eq!(
            got,
            [
                (3, Some("date")),
                (4, Some("date")),
                (5, Some("open")),
                (6, Some("volume")),
                (7, None),
                (8, Some("open")),
                (9, Some("date")),
                (10, Some("close")),
            ]
        );
        assert!(report.rejected[0].message.contains("duplicate"));
        assert!(report.rejected[1].message.contains("out of order"));
        match read_daily_csv(&p, code) {
            Err(Error::Data { line, message, .. }) => {
                assert_eq!(line, 3);
                assert!(message.starts_with("date:"), "{message}");
            }
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    #[test]
    fn missing_column_refuses_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "000020.csv", "date,open,high,low,close\n2024-01-02,1,1,1,1\n");
        let (bars, report) = read_daily_csv_report(&p, StockCode::new("000020")).unwrap();
        assert!(bars.is_empty());
        assert_eq!(report.file_error.as_deref(), Some("missing column volume"));
        assert!(matches!(read_daily_csv(&p, StockCode::new("000020")), Err(Error::Data { line: 1, .. })));
    }

    #[test]
    fn folder_round_trip_skips_side_files_and_reports_bad_names() {
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "000020.csv", "date,open,high,low,close,volume\n2024-01-02,100,110,90,105,7\n");
        write(
            src.path(),
            "005930.csv",
            "date,open,high,low,close,volume\n2024-01-02,7,9,6,8,1\n2024-01-03,8,9,7,9,2\n",
        );
        write(src.path(), "_manifest.csv", "name\n");
        write(src.path(), "notes.txt", "x");
        write(src.path(), "bad.csv", "date,open,high,low,close,volume\n");
        let got = read_csv_dir(src.path()).unwrap();
        assert_eq!(got.series.len(), 2);
        assert_eq!(got.reports.len(), 3);
        assert_eq!(got.accepted(), 3);
        assert!(got.reports.iter().any(|r| r.file_error.is_some() && r.path.ends_with("bad.csv")));

        let out = tempfile::tempdir().unwrap();
        let n = export_csv_dir(out.path(), got.series.iter().map(|(c, b)| (*c, b.as_slice()))).unwrap();
        assert_eq!(n, 2);
        let again = read_csv_dir(out.path()).unwrap();
        assert_eq!(again.series, got.series);
        assert_eq!(
            fs::read_to_string(out.path().join("005930.csv")).unwrap(),
            "date,open,high,low,close,volume\n2024-01-02,7,9,6,8,1\n2024-01-03,8,9,7,9,2\n"
        );
    }
}
