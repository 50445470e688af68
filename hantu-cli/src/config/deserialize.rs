//! Turning the merged table (file, `.env`, environment) into a [`Config`] while naming every key
//! that does not fit, not just the first.
//!
//! serde stops at the first error. So a bad key (unknown, of the wrong type, missing in a
//! `[[schedule.jobs]]` entry) is reported under its full dotted name, dropped from the table (its
//! default applies) and the rest deserialised again, until the table fits. Values that fit their
//! type are then checked by the caller, so one run lists unknown keys, type errors and range
//! errors together.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_path_to_error::Segment;

use super::{Config, ConfigError, Source};

/// Backstop on the rounds: every round drops a part of a finite table, so the loop ends anyway.
const MAX_ROUNDS: usize = 1024;

/// One step of a path into the table.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// A key of a table.
    Key(String),
    /// An element of an array (`[[schedule.jobs]]`), numbered in the table as it is now.
    Index(usize),
}

/// Deserialises `table`, pushing one problem per key that does not fit onto `errors`.
///
/// Returns `None` only when the table cannot be made to fit by dropping keys (the problems then
/// say why).
pub(super) fn deserialize_all(
    table: toml::Table,
    sources: &BTreeMap<String, Source>,
    file: Option<&PathBuf>,
    errors: &mut Vec<ConfigError>,
) -> Option<Config> {
    let mut root = toml::Value::Table(table);
    // Elements dropped from each array, by the array's name as the person wrote it, so later
    // problems in the same array keep the numbers of the file.
    let mut dropped: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        let e = match serde_path_to_error::deserialize::<_, Config>(root.clone()) {
            Ok(config) => return Some(config),
            Err(e) => e,
        };
        let mut steps = Vec::new();
        let mut whole = true;
        for segment in e.path() {
            match segment {
                Segment::Map { key } => steps.push(Step::Key(key.clone())),
                Segment::Seq { index } => steps.push(Step::Index(*index)),
                // An enum variant has no place of its own in the table: report at its parent.
                Segment::Enum { .. } | Segment::Unknown => {
                    whole = false;
                    break;
                }
            }
        }
        let raw = one_line(e.into_inner().message());
        let message = match unknown_field(&raw) {
            Some((field, expected)) => {
                // serde reports an unknown key at its table or at the key itself, depending on
                // the deserialiser: name the key exactly once.
                if whole && steps.last() != Some(&Step::Key(field.clone())) {
                    steps.push(Step::Key(field.clone()));
                }
                let section = steps.len() == 1 && get(&root, &steps).is_some_and(toml::Value::is_table);
                unknown_message(&field, &expected, section)
            }
            None => raw,
        };
        let key = name(&steps, &dropped);
        let source =
            sources.get(&key).cloned().unwrap_or_else(|| file.map_or(Source::Default, |p| Source::File(p.clone())));
        errors.push(ConfigError { key, source_desc: source.to_string(), message });
        // Drop the bad key; if it is not in the table as named (a default-filled parent), drop the
        // nearest enclosing part that is.
        loop {
            if steps.is_empty() {
                return None;
            }
            if let Some(Step::Index(i)) = steps.last() {
                let array = name(&steps[..steps.len() - 1], &dropped);
                let original = original_index(dropped.get(&array).map_or(&[][..], Vec::as_slice), *i);
                if remove(&mut root, &steps) {
                    let list = dropped.entry(array).or_default();
                    let at = list.partition_point(|&d| d < original);
                    list.insert(at, original);
                    break;
                }
            } else if remove(&mut root, &steps) {
                break;
            }
            steps.pop();
        }
    }
    None
}

/// The element's number in the file, given its number now and the numbers dropped before it.
fn original_index(dropped: &[usize], now: usize) -> usize {
    let mut i = now;
    for &d in dropped {
        if d <= i {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The dotted name of `steps` (`schedule.jobs[2].name`), array elements numbered as in the file.
fn name(steps: &[Step], dropped: &BTreeMap<String, Vec<usize>>) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => {
                let original = original_index(dropped.get(&s).map_or(&[][..], Vec::as_slice), *i);
                let _ = write!(s, "[{original}]");
            }
        }
    }
    s
}

/// The value at `steps`, if there is one.
fn get<'a>(root: &'a toml::Value, steps: &[Step]) -> Option<&'a toml::Value> {
    steps.iter().try_fold(root, |v, step| match (step, v) {
        (Step::Key(k), toml::Value::Table(t)) => t.get(k),
        (Step::Index(i), toml::Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

/// Removes the value at `steps`; false when there is none.
fn remove(root: &mut toml::Value, steps: &[Step]) -> bool {
    let Some((last, parents)) = steps.split_last() else { return false };
    let mut cur = root;
    for step in parents {
        let next = match (step, cur) {
            (Step::Key(k), toml::Value::Table(t)) => t.get_mut(k),
            (Step::Index(i), toml::Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Step::Key(k), toml::Value::Table(t)) => t.remove(k).is_some(),
        (Step::Index(i), toml::Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// serde's message on one line (some messages carry context on further lines).
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("in `")).collect::<Vec<_>>().join("; ")
}

/// The unknown key and the expected ones, from serde's "unknown field `x`, expected one of …".
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let mut parts = rest.split('`');
    let field = parts.next()?.to_owned();
    // After the field, names alternate with the text between them.
    let expected = parts.skip(1).step_by(2).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    Some((field, expected))
}

/// "unknown key (did you mean `participation`?); expected one of `cash`, …".
fn unknown_message(field: &str, expected: &[String], section: bool) -> String {
    let what = if section { "section" } else { "key" };
    let hint = closest(field, expected.iter().map(String::as_str))
        .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
    if expected.is_empty() {
        return format!("unknown {what}; this table takes no keys");
    }
    let list = expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ");
    format!("unknown {what}{hint}; expected one of {list}")
}

/// The candidate nearest to a misspelt `name`, if one is near enough to be what was meant.
pub(super) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // A similarity of 0.7 allows about one slip in three letters: `partcipation` finds
    // `participation`, `foo` finds nothing.
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> (Option<Config>, Vec<String>) {
        let table: toml::Table = text.parse().unwrap();
        let mut errors = Vec::new();
        let config = deserialize_all(table, &BTreeMap::new(), None, &mut errors);
        (config, errors.into_iter().map(|e| format!("{}: {}", e.key, e.message)).collect())
    }

    #[test]
    fn unknown_sections_and_keys_are_named_once_and_the_rest_still_loads() {
        let (config, errors) = problems(
            "[bogus]\nx = 1\n[broker]\nparticipation = 5\n[kis]\nfoo = 1\n[backtest]\npartcipation = 0.5\ncash = 7\n",
        );
        assert_eq!(config.map(|c| c.backtest.cash), Some(7), "{errors:?}");
        let mut errors = errors;
        errors.sort();
        let keys: Vec<_> = errors.iter().map(|e| e.split(':').next().unwrap_or_default()).collect();
        assert_eq!(keys, ["backtest.partcipation", "bogus", "broker", "kis.foo"], "{errors:?}");
        assert!(errors[0].contains("did you mean `participation`?"), "{errors:?}");
        assert!(errors[1].starts_with("bogus: unknown section;"), "{errors:?}");
        assert!(!errors[3].contains("did you mean"), "{errors:?}");
    }

    #[test]
    fn type_errors_are_one_line_each() {
        let (config, errors) = problems("[backtest]\ncash = \"x\"\ntax = 3\n[api]\nport = 70000\n");
        assert!(config.is_some());
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().all(|e| !e.contains('\n') && !e.contains("in `")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("backtest.cash: invalid type: string \"x\"")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("api.port:")), "{errors:?}");
    }

    #[test]
    fn dropped_array_elements_keep_the_numbers_of_the_file() {
        assert_eq!(original_index(&[0, 2], 0), 1);
        assert_eq!(original_index(&[0, 2], 1), 3);
        assert_eq!(original_index(&[3], 1), 1);
        // The first job lacks its name and is dropped; the third is still called the third.
        let (config, errors) = problems(
            "[[schedule.jobs]]\nbogus = 1\n[[schedule.jobs]]\nname = \"b\"\n[[schedule.jobs]]\nname = \"c\"\ncron = 5\n",
        );
        assert_eq!(config.map(|c| c.schedule.jobs.len()), Some(2), "{errors:?}");
        let keys: Vec<_> = errors.iter().map(|e| e.split(':').next().unwrap_or_default()).collect();
        assert_eq!(keys, ["schedule.jobs[0].bogus", "schedule.jobs[0]", "schedule.jobs[2].cron"], "{errors:?}");
    }
}
