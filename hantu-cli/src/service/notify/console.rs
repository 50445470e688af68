//! The console channel: one line per notification on stderr (a service's log file when detached).

use std::io::Write as _;

use async_trait::async_trait;
use hantu_core::notify::{Level, Rendered};

use super::transport::{SendError, Transport};

/// Writes notifications to stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct Console;

#[async_trait]
impl Transport for Console {
    fn name(&self) -> &str {
        "console"
    }

    async fn send(&self, level: Level, r: &Rendered, sent: &mut usize) -> Result<(), SendError> {
        let body = r.body.replace('\n', " | ");
        let line = if body.is_empty() {
            format!("[{}] {}\n", level.as_str().to_uppercase(), r.title)
        } else {
            format!("[{}] {} — {body}\n", level.as_str().to_uppercase(), r.title)
        };
        std::io::stderr().lock().write_all(line.as_bytes()).map_err(|e| SendError::Permanent(e.to_string()))?;
        *sent = 1;
        Ok(())
    }
}
