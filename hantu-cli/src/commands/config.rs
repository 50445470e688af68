//! `hantu config check`.

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, ExitStatus};
use crate::config::{KEYS, SECRETS};

/// Configuration commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration; list every key with its value, origin and meaning
    Check,
}

/// Runs a config command. (Loading already validated: a bad configuration never gets here, it
/// exits 2 listing every problem with its key and where it came from, as JSON too with `--json`.)
pub fn run(cmd: &ConfigCommand, ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let ConfigCommand::Check = cmd;
    let value = serde_json::to_value(&ctx.cfg.config)?;
    let lookup = |key: &str| -> String {
        let mut v = &value;
        for part in key.split('.') {
            v = match v.get(part) {
                Some(x) => x,
                None => return "(none)".into(),
            };
        }
        match v {
            serde_json::Value::Null => "(none)".into(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let keys: Vec<_> = KEYS
        .iter()
        .map(|k| {
            (
                k.key,
                lookup(k.key),
                ctx.cfg.source(k.key).to_string(),
                k.env(),
                format!("{} (default {})", k.doc, k.default),
            )
        })
        .collect();
    let secrets: Vec<_> = SECRETS
        .iter()
        .map(|(var, doc)| {
            let state =
                ctx.cfg.secrets.get(var).map_or_else(|| "not set".to_owned(), |(_, src)| format!("set ({src})"));
            (*var, state, *doc)
        })
        .collect();
    if ctx.out.json {
        ctx.out.print_json(&json!({
            "file": ctx.cfg.file.as_ref().map(|p| p.display().to_string()),
            "valid": true,
            "keys": keys.iter().map(|(k, v, s, e, d)| json!({"key": k, "value": v, "source": s, "env": e, "doc": d})).collect::<Vec<_>>(),
            "secrets": secrets.iter().map(|(v, s, d)| json!({"env": v, "state": s, "doc": d})).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.line(format!(
        "configuration: {} — valid",
        ctx.cfg
            .file
            .as_ref()
            .map_or_else(|| "no file (defaults and environment)".to_owned(), |p| p.display().to_string())
    ))?;
    ctx.out.print_table(
        &["key", "value", "from", "variable", "meaning"],
        keys.into_iter().map(|(k, v, s, e, d)| vec![k.into(), v, s, e, d]).collect(),
    )?;
    ctx.out.print_table(
        &["secret", "state", "meaning"],
        secrets.into_iter().map(|(v, s, d)| vec![v.into(), s, d.into()]).collect(),
    )?;
    Ok(ExitStatus::Success)
}
