//! The settings reader under arbitrary input: `local.toml` from random bytes
//! and from TOML-shaped fragments, and `TWEETCHAT__…` variables with random
//! names and values. It never panics, answers quickly (names no setting can
//! have are refused before they are read), and a secret never appears in
//! an error, whatever else is wrong.

use std::path::Path;

use proptest::prelude::*;
use tweetchat::settings::Settings;

/// A value that must never be printed; every test plants it as a secret.
const PLANTED: &str = "s3cr3t-PLANTED-value";

fn load(config: &Path, local: Option<&[u8]>, env: Vec<(String, String)>) -> Result<(), String> {
    if let Some(bytes) = local {
        std::fs::write(config.join("local.toml"), bytes).unwrap();
    }
    Settings::load_from(config, env)
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}

fn name_part() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "ACCOUNTS",
            "MAIN",
            "ACCESS_TOKEN",
            "ACCESS_TOKEN_FILE",
            "PLATFORM",
            "HTTP",
            "LISTEN",
            "GRACE",
            "QUESTION",
            "RESCAN_INTERVAL",
            "DEFAULT_ACCOUNTS",
            "A",
            "",
        ])
        .prop_map(str::to_string),
        "[A-Za-z0-9_]{0,6}",
    ]
}

fn env_var() -> impl Strategy<Value = (String, String)> {
    let name = prop::collection::vec(name_part(), 0..8)
        .prop_map(|parts| format!("TWEETCHAT__{}", parts.join("__")));
    let value = prop_oneof![
        Just(PLANTED.to_string()),
        "[ -~]{0,12}",
        Just("mastodon".to_string()),
        Just("/dev/zero".to_string()),
        Just("90s".to_string()),
    ];
    // The planted value goes to secrets only: other settings may quote
    // what they were given (`rescan_interval` … `soon`).
    (name, value).prop_map(|(name, value)| {
        let secret = SECRET_NAMES.iter().any(|key| name.ends_with(key));
        match (secret, value == PLANTED) {
            (true, _) => (name, PLANTED.to_string()),
            (false, true) => (name, "plain".to_string()),
            (false, false) => (name, value),
        }
    })
}

/// The endings of every secret's variable name.
const SECRET_NAMES: &[&str] = &[
    "ACCESS_TOKEN",
    "ACCESS_TOKEN_SECRET",
    "CONSUMER_KEY",
    "CONSUMER_SECRET",
    "REFRESH_TOKEN",
    "APP_PASSWORD",
    "CLIENT_SECRET",
    "OPERATOR_TOKEN",
];

/// TOML-shaped lines, the planted secret among the values.
fn toml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[accounts.main]".to_string()),
        Just("[http]".to_string()),
        Just("[grace]".to_string()),
        Just("platform = \"mastodon\"".to_string()),
        Just("api_base = \"https://mastodon.example\"".to_string()),
        Just(format!("access_token = \"{PLANTED}\"")),
        Just(format!("access_token = \"{PLANTED}")),
        Just(format!("operator_token = {PLANTED}")),
        Just("access_token_file = \"/dev/zero\"".to_string()),
        Just("question = \"-5m\"".to_string()),
        Just("timeout = 99999999999999999999".to_string()),
        "[ -~]{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_local_toml_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let _ = load(dir.path(), Some(&bytes), Vec::new());
    }

    #[test]
    fn toml_shaped_files_never_print_the_secret(lines in prop::collection::vec(toml_line(), 0..12)) {
        let dir = tempfile::tempdir().unwrap();
        let text = lines.join("\n");
        if let Err(err) = load(dir.path(), Some(text.as_bytes()), Vec::new()) {
            prop_assert!(!err.contains(PLANTED), "{err}");
        }
    }

    #[test]
    fn random_variables_never_panic_nor_print_the_secret(
        vars in prop::collection::vec(env_var(), 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        if let Err(err) = load(dir.path(), None, vars) {
            prop_assert!(!err.contains(PLANTED), "{err}");
        }
    }
}

#[test]
fn a_variable_with_3000_parts_is_refused_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("TWEETCHAT__{}", "A__".repeat(3_000));
    let err = load(dir.path(), None, vec![(name, PLANTED.to_string())]).unwrap_err();
    assert!(err.contains("is not a setting"), "{err}");
    assert!(!err.contains(PLANTED), "{err}");
}
