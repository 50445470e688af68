//! `hantu logs [-f]`.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{Ctx, ExitStatus};

/// Show the newest log file.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new lines as they are written
    #[arg(short, long)]
    pub follow: bool,
    /// Lines from the end to show first
    #[arg(short = 'n', long, default_value_t = 50)]
    pub lines: usize,
}

fn newest(dir: &std::path::Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hantu.log")))
        .collect();
    files.sort();
    files.pop()
}

/// Prints the tail of the newest log file; with `--follow`, keeps printing.
pub fn run(args: &LogsArgs, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let dir = crate::logging::log_dir(&ctx.cfg.config);
    let Some(path) = newest(&dir) else {
        eprintln!("no log files in {} (set log.file = true to write them)", dir.display());
        return Ok(ExitStatus::Failure);
    };
    let file = std::fs::File::open(&path)?;
    let mut reader = BufReader::new(file);
    let all: Vec<String> = reader.by_ref().lines().collect::<Result<_, _>>()?;
    let mut out = std::io::stdout().lock();
    for l in &all[all.len().saturating_sub(args.lines)..] {
        writeln!(out, "{l}")?;
    }
    if !args.follow {
        return Ok(ExitStatus::Success);
    }
    let mut pos = reader.stream_position()?;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let mut f = std::fs::File::open(&path)?;
        if f.metadata()?.len() < pos {
            pos = 0;
        }
        f.seek(SeekFrom::Start(pos))?;
        let mut r = BufReader::new(f);
        let mut line = String::new();
        while r.read_line(&mut line)? > 0 {
            write!(out, "{line}")?;
            line.clear();
        }
        out.flush()?;
        pos = r.stream_position()?;
    }
}
