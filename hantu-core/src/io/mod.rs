//! Plain-file input and output: daily bars as CSV (one file per stock), the instrument list and
//! fundamentals in the layout of `../shared/data/krx`.
//!
//! Readers come in two strengths. The strict ones ([`read_daily_csv`], [`read_instruments_csv`],
//! [`read_fundamentals_csv`]) stop at the first bad row with [`crate::Error::Data`] naming the
//! file, the line and the field. The lenient ones ([`read_daily_csv_report`], [`read_csv_dir`])
//! keep the good rows and return a [`FileReport`] listing every rejected row and why, which is what
//! an import of a large folder wants.

mod csv_bars;
mod fundamentals;
mod instruments;

use std::fmt;
use std::path::{Path, PathBuf};

pub use csv_bars::{
    CsvDir, export_csv_dir, list_csv_dir, read_code_csv, read_csv_dir, read_daily_csv, read_daily_csv_report,
    write_daily_csv,
};
pub use fundamentals::read_fundamentals_csv;
pub use instruments::{read_instruments_csv, read_instruments_csv_report};

/// One row that was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub field: Option<&'static str>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "line {}: {}: {}", self.line, field, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// What happened to one file of a folder read or import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Rows kept.
    pub accepted: usize,
    /// Rows refused, in file order.
    pub rejected: Vec<RowError>,
    /// Why the whole file was refused (unreadable, bad name, missing columns), if it was.
    pub file_error: Option<String>,
}

impl FileReport {
    pub(crate) fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), accepted: 0, rejected: Vec::new(), file_error: None }
    }

    pub(crate) fn failed(path: &Path, why: impl Into<String>) -> Self {
        Self { file_error: Some(why.into()), ..Self::new(path) }
    }

    /// Whether every row was accepted and the file itself was readable.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.file_error.is_none()
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.file_error {
            return write!(f, "{}: refused: {e}", self.path.display());
        }
        write!(f, "{}: {} accepted, {} rejected", self.path.display(), self.accepted, self.rejected.len())?;
        for r in self.rejected.iter().take(5) {
            write!(f, "; {r}")?;
        }
        if self.rejected.len() > 5 {
            write!(f, "; …")?;
        }
        Ok(())
    }
}

/// Parses `YYYY-MM-DD` without going through a format string (this runs once per bar).
pub(crate) fn parse_date(s: &[u8]) -> Option<chrono::NaiveDate> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let num = |b: &[u8]| -> Option<u32> {
        b.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let y = num(&s[0..4])?;
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, num(&s[5..7])?, num(&s[8..10])?)
}

/// The index of column `name` in a header row (case-insensitive, a UTF-8 BOM ignored).
pub(crate) fn column(header: &csv::StringRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
}

/// Opens a CSV file with a header row.
pub(crate) fn open_csv(path: &Path) -> crate::Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let file = std::fs::File::open(path).map_err(|source| crate::Error::Io { path: path.to_path_buf(), source })?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let header = rdr.headers().map_err(|e| crate::Error::data(path, 1, format!("unreadable header: {e}")))?.clone();
    Ok((rdr, header))
}

/// Parses a non-negative decimal integer (no sign, no separators).
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date(b"2024-02-29"), chrono::NaiveDate::from_ymd_opt(2024, 2, 29));
        for bad in [&b"2023-02-29"[..], b"2024-2-29", b"2024/02/29", b"20240229", b"2024-02-2x", b""] {
            assert_eq!(parse_date(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"1032603"), Some(1_032_603));
        for bad in [&b""[..], b"-1", b"1.5", b"1,000", b" 1", b"99999999999999999999"] {
            assert_eq!(parse_u64(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
