//! `hantu logs [SERVICE] [-f] [--level L] [--since T]`: the JSON log files of the services (and
//! of commands, `hantu.log*`), merged by time.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use hantu_core::clock::{Clock as _, LiveClock};

use super::{Ctx, ExitStatus};
use crate::service::Service;
use crate::service::logs::{self as slogs, Line, LogFile};

/// Show the logs.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only this service's log [default: every service and the commands' log]
    #[arg(value_enum)]
    pub service: Option<Service>,
    /// Keep printing new lines as they are written
    #[arg(short, long)]
    pub follow: bool,
    /// Lines from the end to show first
    #[arg(short = 'n', long, default_value_t = 50)]
    pub lines: usize,
    /// Only lines at this level or above (trace, debug, info, warn, error)
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only lines newer than this: a duration (`30m`, `2h`, `1d`) or a UTC time (`2025-07-25T06:00:00Z`)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
}

/// The RFC 3339 UTC cut-off of `--since`.
fn since(s: &str) -> anyhow::Result<String> {
    if let Ok(ms) = hantu_core::schedule::parse_duration_ms(s) {
        let t = LiveClock.now().millis() - ms;
        let dt = chrono::DateTime::from_timestamp_millis(t).unwrap_or_default();
        return Ok(dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
    }
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => Ok(t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        Err(_) => anyhow::bail!("--since {s:?}: expected a duration (30m, 2h) or an RFC 3339 time"),
    }
}

struct Filter {
    level: u8,
    since: Option<String>,
}

impl Filter {
    fn keep(&self, l: &Line) -> bool {
        slogs::level_rank(&l.level) >= self.level && self.since.as_ref().is_none_or(|s| l.ts.as_str() >= s.as_str())
    }
}

fn print(out: &mut impl Write, l: &Line, json: bool) -> std::io::Result<()> {
    if json { writeln!(out, "{}", l.json) } else { writeln!(out, "{}", slogs::human(l)) }
}

/// Prints the newest lines of the merged logs; with `--follow`, keeps printing.
pub fn run(args: &LogsArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let reg = crate::service::registry(&ctx.cfg.config);
    let command_dir = crate::logging::log_dir(&ctx.cfg.config);
    let filter = Filter {
        level: args.level.as_deref().map_or(0, slogs::level_rank),
        since: args.since.as_deref().map(since).transpose()?,
    };
    let files = slogs::files(&reg.log_dir(), &command_dir, args.service);
    if files.is_empty() && !args.follow {
        eprintln!(
            "no log files in {} or {} (services write them; for commands set log.file = true)",
            reg.log_dir().display(),
            command_dir.display()
        );
        return Ok(ExitStatus::Failure);
    }
    let mut offsets: HashMap<PathBuf, u64> = HashMap::new();
    let mut lines = Vec::new();
    for LogFile { source, path } in &files {
        let Ok(f) = std::fs::File::open(path) else { continue };
        let mut r = BufReader::new(f);
        let mut buf = String::new();
        while r.read_line(&mut buf)? > 0 {
            if let Some(l) = slogs::parse(source, &buf).filter(|l| filter.keep(l)) {
                lines.push(l);
            }
            buf.clear();
        }
        offsets.insert(path.clone(), r.stream_position()?);
    }
    lines.sort_by(|a, b| a.ts.cmp(&b.ts));
    let mut out = std::io::stdout().lock();
    for l in &lines[lines.len().saturating_sub(args.lines)..] {
        print(&mut out, l, ctx.out.json)?;
    }
    if !args.follow {
        return Ok(ExitStatus::Success);
    }
    loop {
        out.flush()?;
        std::thread::sleep(Duration::from_millis(500));
        let mut fresh = Vec::new();
        // New files (a new day, a service started) are picked up from their start.
        for LogFile { source, path } in slogs::files(&reg.log_dir(), &command_dir, args.service) {
            let Ok(mut f) = std::fs::File::open(&path) else { continue };
            let len = f.metadata()?.len();
            let pos = offsets.get(&path).copied().filter(|p| *p <= len).unwrap_or(0);
            f.seek(SeekFrom::Start(pos))?;
            let mut r = BufReader::new(f);
            let mut buf = String::new();
            while r.read_line(&mut buf)? > 0 && buf.ends_with('\n') {
                if let Some(l) = slogs::parse(&source, &buf).filter(|l| filter.keep(l)) {
                    fresh.push(l);
                }
                buf.clear();
            }
            // A partial last line is read again next time.
            let end = r.stream_position()? - buf.len() as u64;
            offsets.insert(path, end);
        }
        fresh.sort_by(|a, b| a.ts.cmp(&b.ts));
        for l in &fresh {
            print(&mut out, l, ctx.out.json)?;
        }
    }
}
