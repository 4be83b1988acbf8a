//! What `check --settings` tells an operator about the settings themselves:
//! every setting that a layer above the defaults sets, with the file or the
//! variable it came from, and the environment variables that look like
//! settings but are not read (`TWEETCHAT_HTTP__LISTEN`, one underscore).
//!
//! Both answer "why does the daemon not do what my file says?" before the
//! daemon starts.

use std::path::Path;

use config::{Value, ValueKind};

use super::layers::{self, DEFAULTS_FILE_VAR};
use super::reader::{ENV_PREFIX, describe_origin};

/// Keys whose values may be shown; any other (a secret, or an unknown key
/// that may be a misspelt one) prints as `***`.
const PLAIN_KEYS: [&str; 19] = [
    "chats_dir",
    "state_dir",
    "default_accounts",
    "rescan_interval",
    "retention",
    "listen",
    "public_url",
    "format",
    "level",
    "question",
    "announce",
    "thanks",
    "platform",
    "api_base",
    "handle",
    "client_id",
    "timeout",
    "events",
    "give_up_after",
];

/// One setting set above the defaults: `http.listen`, `"0.0.0.0:9090"`,
/// `environment variable TWEETCHAT__HTTP__LISTEN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub key: String,
    pub value: String,
    pub source: String,
}

/// Every setting the defaults file, `local.toml` or the environment sets,
/// in key order, each with the layer that won. Secret values print as `***`.
pub fn origins(
    config_dir: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Vec<Origin>> {
    let tree = layers::overrides(config_dir, env)?;
    let mut found = Vec::new();
    let mut entries: Vec<(String, Value)> = tree.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in entries {
        flatten(name, value, &mut found);
    }
    Ok(found)
}

fn flatten(key: String, value: Value, found: &mut Vec<Origin>) {
    if let ValueKind::Table(entries) = value.kind {
        let mut entries: Vec<(String, Value)> = entries.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, child) in entries {
            flatten(format!("{key}.{name}"), child, found);
        }
        return;
    }
    let source = describe_origin(&key, &value);
    let last = key.rsplit('.').next().unwrap_or_default();
    let plain = PLAIN_KEYS.contains(&last) || last.ends_with("_file");
    let shown = if plain { show(&value) } else { "***".into() };
    found.push(Origin {
        key,
        value: shown,
        source,
    });
}

fn show(value: &Value) -> String {
    match &value.kind {
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        _ => value.to_string(),
    }
}

/// The top-level settings and sections, as an environment variable spells
/// them after the prefix.
const TOP_KEYS: [&str; 5] = [
    "CHATS_DIR",
    "STATE_DIR",
    "DEFAULT_ACCOUNTS",
    "RESCAN_INTERVAL",
    "RETENTION",
];
const SECTIONS: [&str; 4] = ["HTTP", "LOG", "GRACE", "ACCOUNTS"];

/// Variables in `env` that look like tweetchat settings but are not read,
/// each with the name to write instead.
pub fn lookalike_variables<'a>(env: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut warnings: Vec<String> = env.into_iter().filter_map(lookalike).collect();
    warnings.sort();
    warnings
}

fn lookalike(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let rest = upper.strip_prefix(ENV_PREFIX)?;
    // Read: every `TWEETCHAT__…` in any case (the settings layer matches
    // the prefix and the keys case-insensitively).
    if upper.starts_with(&format!("{ENV_PREFIX}__")) {
        return None;
    }
    for own in ["TWEETCHAT_CONFIG_DIR", DEFAULTS_FILE_VAR] {
        if name == own {
            return None;
        }
        if upper == own {
            return Some(format!(
                "environment variable `{name}` is not read: names are case-sensitive; write `{own}`"
            ));
        }
    }
    let tail = rest.trim_start_matches(['_', '-']);
    let fixed = if let Some(section) = SECTIONS
        .iter()
        .find(|s| tail.starts_with(*s) && tail[s.len()..].starts_with('_'))
    {
        let keys = tail[section.len()..].trim_start_matches('_');
        format!("{ENV_PREFIX}__{section}__{keys}")
    } else if TOP_KEYS.contains(&tail) {
        format!("{ENV_PREFIX}__{tail}")
    } else {
        return None;
    };
    Some(format!(
        "environment variable `{name}` is not read: settings variables start with `{ENV_PREFIX}__` \
         (two underscores, and two between levels); write `{fixed}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_underscore_after_the_prefix_is_named_with_the_fix() {
        let found = lookalike_variables(["TWEETCHAT_HTTP__LISTEN"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("`TWEETCHAT_HTTP__LISTEN` is not read"),
            "{found:?}"
        );
        assert!(
            found[0].contains("write `TWEETCHAT__HTTP__LISTEN`"),
            "{found:?}"
        );
        let found = lookalike_variables(["TWEETCHAT_STATE_DIR", "TWEETCHAT_LOG_FORMAT"]);
        assert!(
            found[0].contains("write `TWEETCHAT__LOG__FORMAT`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("write `TWEETCHAT__STATE_DIR`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_wrong_case_is_named() {
        let found = lookalike_variables(["tweetchat_config_dir", "Tweetchat_Http__Listen"]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("write `TWEETCHAT__HTTP__LISTEN`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("write `TWEETCHAT_CONFIG_DIR`"),
            "{found:?}"
        );
    }

    #[test]
    fn our_own_names_and_unrelated_ones_pass() {
        let fine = [
            "TWEETCHAT__HTTP__LISTEN",
            "TWEETCHAT__ACCOUNTS__MAIN_X__ACCESS_TOKEN",
            "TWEETCHAT_CONFIG_DIR",
            "TWEETCHAT_DEFAULTS_FILE",
            "TWEETCHAT_NODE_MODULES",
            "TWEETCHAT_SKIP_LOG",
            "PATH",
        ];
        assert_eq!(lookalike_variables(fine), Vec::<String>::new());
    }

    #[test]
    fn origins_name_each_layer_and_hide_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image.toml");
        std::fs::write(
            &image,
            "[http]\nlisten = \"0.0.0.0:9090\"\n[log]\nformat = \"json\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("local.toml"),
            "[log]\nformat = \"pretty\"\n[accounts.main_x]\nplatform = \"x\"\naccess_token = \"hunter2\"\n",
        )
        .unwrap();
        let env = [
            (DEFAULTS_FILE_VAR.to_string(), image.display().to_string()),
            ("TWEETCHAT__STATE_DIR".to_string(), "/srv/state".to_string()),
        ];
        let found = origins(dir.path(), env).unwrap();
        let line = |key: &str| found.iter().find(|o| o.key == key).unwrap().clone();
        assert_eq!(line("http.listen").value, "\"0.0.0.0:9090\"");
        assert!(
            line("http.listen").source.ends_with("image.toml"),
            "{found:?}"
        );
        assert_eq!(line("log.format").value, "\"pretty\"");
        assert!(
            line("log.format").source.ends_with("local.toml"),
            "{found:?}"
        );
        assert_eq!(
            line("state_dir").source,
            "environment variable TWEETCHAT__STATE_DIR"
        );
        assert_eq!(line("accounts.main_x.access_token").value, "***");
        assert!(!format!("{found:?}").contains("hunter2"));
        // Nothing from the defaults layer.
        assert!(found.iter().all(|o| o.key != "retention"), "{found:?}");
    }
}
