//! Merges the layers with the `config` crate, later wins: the defaults
//! (`default.toml`), a packager's defaults file (`TWEETCHAT_DEFAULTS_FILE`,
//! the container image's), the operator's `local.toml`, the environment.
//!
//! A packager's choices (the image listens on `0.0.0.0`, logs JSON) sit in a
//! file below `local.toml` rather than in `TWEETCHAT__…` variables, so what
//! an operator writes in `local.toml` is never overridden by the package.

use std::path::Path;

use anyhow::Context;
use config::{Config, Environment, File, FileFormat, Map, Source, Value};

use super::reader::ENV_PREFIX;

/// The committed `config/default.toml`, built in so the binary works from any
/// directory (a container has no `config/` folder).
pub const BUILTIN_DEFAULTS: &str = include_str!("../../config/default.toml");

/// The variable naming the packager's defaults file (the image sets it).
pub const DEFAULTS_FILE_VAR: &str = "TWEETCHAT_DEFAULTS_FILE";

/// Reads `config_dir/default.toml` (or the built-in copy when it is missing),
/// the file `TWEETCHAT_DEFAULTS_FILE` names (it must exist when set),
/// `config_dir/local.toml` if present, then the `TWEETCHAT__…` variables in
/// `env`, and returns the merged tree.
pub fn merge(
    config_dir: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Map<String, Value>> {
    let default_path = config_dir.join("default.toml");
    let builder = Config::builder();
    let builder = if default_path.is_file() {
        builder.add_source(File::from(default_path.as_path()).format(FileFormat::Toml))
    } else {
        builder.add_source(File::from_str(BUILTIN_DEFAULTS, FileFormat::Toml))
    };
    build(builder, config_dir, env)
}

/// Only what the layers above the defaults set: every setting an operator
/// or a packager changed, each with its origin (for `check --settings`).
pub fn overrides(
    config_dir: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Map<String, Value>> {
    build(Config::builder(), config_dir, env)
}

/// Adds the defaults file, `local.toml` and the environment to `builder`.
fn build(
    builder: config::ConfigBuilder<config::builder::DefaultState>,
    config_dir: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Map<String, Value>> {
    let env: Vec<(String, String)> = env.into_iter().collect();
    let builder = match env.iter().find(|(key, _)| key == DEFAULTS_FILE_VAR) {
        Some((_, path)) if !path.is_empty() => {
            builder.add_source(File::from(Path::new(path)).format(FileFormat::Toml))
        }
        _ => builder,
    };
    let local = File::from(config_dir.join("local.toml").as_path())
        .format(FileFormat::Toml)
        .required(false);
    let prefix = format!("{ENV_PREFIX}__");
    let env: Map<String, String> = env
        .into_iter()
        .filter(|(key, _)| key.to_ascii_uppercase().starts_with(&prefix))
        .collect();
    for name in env.keys() {
        check_env_name(name)?;
    }
    // No `try_parsing`: it would turn a secret like "0012" into the number 12.
    // Values stay strings and each setting parses its own.
    let environment = Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .source(Some(env));
    let config = builder
        .add_source(local)
        .add_source(environment)
        .build()
        .map_err(|e| anyhow::anyhow!(redact_snippet(&e.to_string())))
        .with_context(|| format!("cannot read the settings in {}", config_dir.display()))?;
    config.collect().context("cannot merge the settings layers")
}

/// The deepest setting is `TWEETCHAT__ACCOUNTS__NAME__KEY`: four parts.
const MAX_ENV_PARTS: usize = 4;
/// Far above the longest real name (about 50 characters).
const MAX_ENV_NAME: usize = 200;

/// Refuses a settings variable whose name no setting can have, before the
/// `config` crate builds a table for each of its parts (`TWEETCHAT__` and
/// `A__` 3,000 times took 2.5 GB). Only the start of the name is shown.
fn check_env_name(name: &str) -> anyhow::Result<()> {
    let parts = name.split("__").count();
    if parts <= MAX_ENV_PARTS && name.len() <= MAX_ENV_NAME {
        return Ok(());
    }
    let shown: String = name.chars().take(40).collect();
    let more = if shown.len() < name.len() { "…" } else { "" };
    anyhow::bail!(
        "environment variable {shown}{more} ({} characters, {parts} parts) is not a setting: \
         a name has at most {MAX_ENV_PARTS} parts (`TWEETCHAT__ACCOUNTS__NAME__KEY`) and \
         {MAX_ENV_NAME} characters; unset it",
        name.chars().count()
    )
}

/// TOML parse errors quote the offending line, which may hold a secret:
/// keep the position and the message, drop the quoted source.
fn redact_snippet(message: &str) -> String {
    message
        .lines()
        .filter(|line| !is_snippet_line(line))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

/// `  |`, `3 | access_token = "…`, `  |      ^`: the quoted-source gutter.
fn is_snippet_line(line: &str) -> bool {
    let head = line.trim_start();
    let head = head.trim_start_matches(|c: char| c.is_ascii_digit());
    head.trim_start().starts_with('|')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_variable_name_is_refused_before_it_is_read() {
        let name = format!("TWEETCHAT__{}", "A__".repeat(3_000));
        let dir = tempfile::tempdir().unwrap();
        let err = merge(dir.path(), [(name.clone(), "x".to_string())]).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("(9011 characters, 3002 parts) is not a setting"),
            "{text}"
        );
        assert!(text.len() < 400, "the name is not printed whole: {text}");
        // The deepest real setting still passes.
        let fine = [(
            "TWEETCHAT__ACCOUNTS__MAIN_X__ACCESS_TOKEN_SECRET_FILE".to_string(),
            "/run/secrets/x".to_string(),
        )];
        assert!(merge(dir.path(), fine).is_ok());
    }

    #[test]
    fn parse_errors_lose_the_quoted_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("local.toml"),
            "[accounts.m]\naccess_token = \"hunter2\n",
        )
        .unwrap();
        let err = merge(dir.path(), []).unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("local.toml"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }
}
