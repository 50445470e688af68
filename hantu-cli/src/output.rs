//! Printing results: tables for people, JSON for machines.

use std::io::{IsTerminal, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

/// Where and how results are printed.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// JSON instead of tables.
    pub json: bool,
    /// Whether stdout is a terminal (colour and progress bars only then).
    pub tty: bool,
}

impl Output {
    /// For the given `--json` flag.
    pub fn new(json: bool) -> Self {
        Self { json, tty: std::io::stdout().is_terminal() }
    }

    /// Prints a value as pretty JSON.
    pub fn print_json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    /// Prints a table.
    pub fn print_table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        if !self.tty {
            t.force_no_tty();
        }
        t.set_header(headers.to_vec());
        for r in rows {
            t.add_row(r);
        }
        writeln!(std::io::stdout().lock(), "{t}")?;
        Ok(())
    }

    /// Prints a line for people (nothing with `--json`).
    pub fn line(&self, s: impl AsRef<str>) -> anyhow::Result<()> {
        if !self.json {
            writeln!(std::io::stdout().lock(), "{}", s.as_ref())?;
        }
        Ok(())
    }

    /// A heading, bold on a terminal.
    pub fn heading(&self, s: &str) -> anyhow::Result<()> {
        if self.tty { self.line(format!("\x1b[1m{s}\x1b[0m")) } else { self.line(s) }
    }

    /// A progress bar for work of `len` steps, hidden when not on a terminal or with `--json`.
    pub fn progress(&self, len: u64, msg: &str) -> indicatif::ProgressBar {
        if !self.tty || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let pb = indicatif::ProgressBar::new(len);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(msg.to_owned());
        pb
    }
}

/// Formats won with thousands separators.
pub fn won(v: i64) -> String {
    let s = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Formats a fraction as a percentage.
pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}
