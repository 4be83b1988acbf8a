//! Reads the merged settings tree one key at a time.
//!
//! The `config` crate merges the layers but forgets which environment
//! variable a value came from, and serde's errors would print values (secrets
//! among them). So the tree is walked by hand: every [`Field`] knows its dotted
//! key and where it came from, every error names both, and a table reports the
//! keys nobody took as unknown.

use std::collections::BTreeMap;
use std::time::Duration;

use config::{Value, ValueKind};
use jiff::SignedDuration;

/// The origin the `config` crate gives every value read from the environment.
const ENV_ORIGIN: &str = "the environment";

/// The prefix of every settings environment variable.
pub(super) const ENV_PREFIX: &str = "TWEETCHAT";

/// One setting: its dotted key (`accounts.main_x.timeout`) and its value.
pub(super) struct Field {
    pub key: String,
    value: Value,
}

impl Field {
    pub fn new(key: String, value: Value) -> Self {
        Self { key, value }
    }

    /// Where the value came from: a file, an environment variable or the
    /// built-in defaults.
    pub fn source(&self) -> String {
        describe_origin(&self.key, &self.value)
    }

    /// An error about this setting: "`key` (source): message".
    pub fn error(&self, message: impl std::fmt::Display) -> String {
        format!("`{}` ({}): {message}", self.key, self.source())
    }

    /// A string; numbers and booleans are accepted as written.
    pub fn string(&self) -> Result<String, String> {
        match &self.value.kind {
            ValueKind::String(s) => Ok(s.clone()),
            ValueKind::I64(_)
            | ValueKind::I128(_)
            | ValueKind::U64(_)
            | ValueKind::U128(_)
            | ValueKind::Float(_)
            | ValueKind::Boolean(_) => Ok(self.value.to_string()),
            other => Err(self.error(format!("expected a string, found {}", kind_name(other)))),
        }
    }

    /// A string that must not be empty.
    pub fn non_empty_string(&self) -> Result<String, String> {
        let s = self.string()?;
        if s.trim().is_empty() {
            return Err(self.error("is empty; give a value or remove the key"));
        }
        Ok(s)
    }

    /// A list of strings: a TOML array, or one comma-separated string (the
    /// form an environment variable can carry).
    pub fn string_list(&self) -> Result<Vec<String>, String> {
        match &self.value.kind {
            ValueKind::String(s) if s.trim_start().starts_with('[') || s.contains('"') => {
                let names: Vec<&str> = s
                    .split(',')
                    .map(|item| item.trim_matches(|c: char| "[]\"' ".contains(c)))
                    .filter(|item| !item.is_empty())
                    .collect();
                Err(self.error(format!(
                    "lists are comma-separated names, without brackets or quotes: write `{}`",
                    names.join(",")
                )))
            }
            ValueKind::String(s) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect()),
            ValueKind::Array(items) => items
                .iter()
                .map(|item| match &item.kind {
                    ValueKind::String(s) => Ok(s.clone()),
                    other => Err(self.error(format!(
                        "expected a list of strings, found {} in it",
                        kind_name(other)
                    ))),
                })
                .collect(),
            other => Err(self.error(format!(
                "expected a list of strings such as [\"console\"], found {}",
                kind_name(other)
            ))),
        }
    }

    /// A positive duration: seconds as a number, or a string such as `90s`,
    /// `10m`, `1h30m`, `1d`.
    pub fn duration(&self) -> Result<Duration, String> {
        let parsed = match &self.value.kind {
            ValueKind::I64(n) => Ok(SignedDuration::from_secs(*n)),
            ValueKind::U64(n) => Ok(SignedDuration::from_secs(
                i64::try_from(*n).unwrap_or(i64::MAX),
            )),
            ValueKind::Float(f) => SignedDuration::try_from_secs_f64(*f).map_err(|e| e.to_string()),
            ValueKind::String(s) => parse_duration(s),
            other => Err(format!("found {}", kind_name(other))),
        };
        let parsed = parsed.map_err(|why| {
            self.error(format!(
                "expected a duration such as 30 (seconds), \"90s\", \"10m\" or \"1h30m\": {why}"
            ))
        })?;
        if parsed <= SignedDuration::ZERO {
            return Err(self.error(format!("must be longer than zero, found {parsed:#}")));
        }
        Duration::try_from(parsed).map_err(|e| self.error(e))
    }

    /// A nested table (`[http]`, `[accounts.main_x]`).
    pub fn table(self) -> Result<Table, String> {
        match self.value.kind {
            ValueKind::Table(entries) => Ok(Table::new(self.key, entries.into_iter().collect())),
            ref other => Err(self.error(format!(
                "expected a table ([{}]), found {}",
                self.key,
                kind_name(other)
            ))),
        }
    }
}

/// The keys of one table, taken one by one; what is left is unknown.
pub(super) struct Table {
    /// Dotted key of the table itself; empty for the root.
    pub key: String,
    entries: BTreeMap<String, Value>,
}

impl Table {
    pub fn new(key: String, entries: BTreeMap<String, Value>) -> Self {
        Self { key, entries }
    }

    /// Removes `name` from the table.
    pub fn take(&mut self, name: &str) -> Option<Field> {
        let value = self.entries.remove(name)?;
        Some(Field::new(self.child_key(name), value))
    }

    /// Where `name`'s value came from, without taking it.
    pub fn origin_of(&self, name: &str) -> Option<String> {
        let value = self.entries.get(name)?;
        Some(describe_origin(&self.child_key(name), value))
    }

    /// Removes and returns every remaining entry, in key order.
    pub fn drain(&mut self) -> Vec<(String, Field)> {
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|(name, value)| {
                let field = Field::new(self.child_key(&name), value);
                (name, field)
            })
            .collect()
    }

    /// The remaining keys, each as a field (for "unknown key" errors).
    pub fn leftovers(self) -> Vec<Field> {
        let key = self.key;
        self.entries
            .into_iter()
            .map(|(name, value)| Field::new(join(&key, &name), value))
            .collect()
    }

    /// Where the table's first value came from (for "missing key" errors).
    pub fn source(&self) -> String {
        self.entries
            .iter()
            .next()
            .map(|(name, value)| describe_origin(&self.child_key(name), value))
            .unwrap_or_else(|| "an empty table".to_string())
    }

    fn child_key(&self, name: &str) -> String {
        join(&self.key, name)
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// A duration string in the one grammar chat files use (`90s`, `1h30m`,
/// `1d`; [`crate::duration`]), or bare digits meaning seconds (TOML integers
/// and environment variables, which carry only strings).
pub(super) fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let secs = text.parse::<i64>().map_err(|e| e.to_string())?;
        return Ok(SignedDuration::from_secs(secs));
    }
    crate::duration::parse(text)
}

/// Names a value's origin: the file path, the environment variable (rebuilt
/// from the key, since `config` only says "the environment"), or the built-in
/// defaults. Tables made up by a deeper key borrow their first child's origin.
pub(super) fn describe_origin(key: &str, value: &Value) -> String {
    match value.origin() {
        Some(ENV_ORIGIN) => format!("environment variable {}", env_var_name(key)),
        Some(path) => readable_path(path),
        None => match &value.kind {
            ValueKind::Table(entries) => {
                let first = entries.iter().min_by(|a, b| a.0.cmp(b.0));
                match first {
                    Some((name, child)) => describe_origin(&join(key, name), child),
                    None => "built-in defaults".to_string(),
                }
            }
            _ => "built-in defaults".to_string(),
        },
    }
}

/// `config` names files relative to the working directory, which turns
/// `/etc/tweetchat/local.toml` into `../../etc/tweetchat/local.toml`: climb-outs
/// are shown as absolute paths instead.
fn readable_path(path: &str) -> String {
    if !path.starts_with("..") {
        return path.to_string();
    }
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

/// `accounts.main_x.access_token` → `TWEETCHAT__ACCOUNTS__MAIN_X__ACCESS_TOKEN`.
pub(super) fn env_var_name(key: &str) -> String {
    format!("{ENV_PREFIX}__{}", key.replace('.', "__").to_uppercase())
}

fn kind_name(kind: &ValueKind) -> &'static str {
    match kind {
        ValueKind::Nil => "nothing",
        ValueKind::Boolean(_) => "a boolean",
        ValueKind::I64(_) | ValueKind::I128(_) | ValueKind::U64(_) | ValueKind::U128(_) => {
            "an integer"
        }
        ValueKind::Float(_) => "a number",
        ValueKind::String(_) => "a string",
        ValueKind::Table(_) => "a table",
        ValueKind::Array(_) => "a list",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_field(key: &str, value: &str) -> Field {
        let origin = ENV_ORIGIN.to_string();
        Field::new(
            key.into(),
            Value::new(Some(&origin), ValueKind::String(value.into())),
        )
    }

    #[test]
    fn durations_take_seconds_and_the_chat_file_grammar() {
        let secs = |s: &str| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(secs("30"), Ok(30));
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert!(parse_duration("PT5M").is_err(), "one grammar, not two");
        assert_eq!(secs("1d"), Ok(86_400));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn zero_duration_is_refused_with_the_env_var_name() {
        let err = env_field("grace.thanks", "0s").duration().unwrap_err();
        assert!(err.contains("`grace.thanks`"), "{err}");
        assert!(err.contains("TWEETCHAT__GRACE__THANKS"), "{err}");
        assert!(err.contains("longer than zero"), "{err}");
    }

    #[test]
    fn lists_come_as_arrays_or_comma_separated_strings() {
        let field = env_field("default_accounts", "main_x, hcsm_mastodon,");
        assert_eq!(field.string_list().unwrap(), ["main_x", "hcsm_mastodon"]);
    }

    #[test]
    fn a_toml_list_in_a_variable_gets_the_comma_separated_form() {
        let field = env_field("default_accounts", "[\"main_x\", \"hcsm_mastodon\"]");
        let err = field.string_list().unwrap_err();
        assert!(err.contains("TWEETCHAT__DEFAULT_ACCOUNTS"), "{err}");
        assert!(err.contains("comma-separated"), "{err}");
        assert!(err.contains("write `main_x,hcsm_mastodon`"), "{err}");
    }

    #[test]
    fn leftovers_keep_their_full_key() {
        let origin = "config/local.toml".to_string();
        let mut entries = BTreeMap::new();
        entries.insert(
            "typo".to_string(),
            Value::new(Some(&origin), ValueKind::I64(1)),
        );
        let table = Table::new("http".into(), entries);
        let left = table.leftovers();
        assert_eq!(left[0].key, "http.typo");
        assert_eq!(left[0].source(), "config/local.toml");
    }
}
