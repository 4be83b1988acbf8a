//! `--env-file FILE`: the variables of a systemd `EnvironmentFile` (or a
//! Compose `env_file`), read by the command itself, so `tweetchat check
//! --env-file /etc/tweetchat/tweetchat.env` judges the settings the service
//! runs with, without a shell's `set -a` and its quoting rules.
//!
//! The grammar is the common part of both: `KEY=VALUE` lines, blank lines
//! and lines starting with `#` or `;` ignored, a value in matching single or
//! double quotes taken without them. The file's variables win over the
//! process environment, as systemd's `EnvironmentFile=` wins over
//! `Environment=`. Errors name the file and the line, never a value (it may
//! be a secret).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;

static EXTRA: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// Reads `path` once for this process; every later [`super::Settings::load`]
/// sees its variables over the process environment.
pub fn use_env_file(path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the environment file {}", path.display()))?;
    let vars = parse(&text).map_err(|line| {
        anyhow::anyhow!(
            "{}:{line}: expected `NAME=value` (a systemd EnvironmentFile line), or a comment starting with #",
            path.display()
        )
    })?;
    // A second call keeps the first file: there is one per command line.
    let _ = EXTRA.set(vars);
    Ok(())
}

/// The process environment, then the environment file's variables.
pub fn environment() -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    vars.extend(EXTRA.get().into_iter().flatten().cloned());
    vars
}

/// The variables of an environment file, or the number of the first line
/// that is not one.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, usize> {
    let mut vars = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(index + 1);
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(index + 1);
        }
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(value);
        vars.push((key.to_string(), unquoted.to_string()));
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_quotes() {
        let text = "# a comment\n; another\n\nTWEETCHAT__DEFAULT_ACCOUNTS=main_x\n\
                    TWEETCHAT__ACCOUNTS__MAIN_X__ACCESS_TOKEN=\"a b#c\"\n  TWEETCHAT__LOG__FORMAT = 'json'\n";
        assert_eq!(
            parse(text).unwrap(),
            [
                ("TWEETCHAT__DEFAULT_ACCOUNTS".into(), "main_x".into()),
                (
                    "TWEETCHAT__ACCOUNTS__MAIN_X__ACCESS_TOKEN".into(),
                    "a b#c".into()
                ),
                ("TWEETCHAT__LOG__FORMAT".into(), "json".into()),
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_a_variable_is_named_by_number() {
        assert_eq!(parse("A=1\nexport hunter2\n"), Err(2));
        assert_eq!(parse("A=1\nexport B=2\n"), Err(2));
    }
}
