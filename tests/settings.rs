//! Settings layering, secrets and every validation message, through the
//! public `Settings::load_from` (an explicit environment, so tests never race
//! on the process's).

use std::path::Path;
use std::time::Duration;

use tweetchat::settings::{LogFormat, Settings};
use tweetchat::text::PlatformKind;

/// A config folder with only `local.toml` (defaults come built in).
fn with_local(local: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("local.toml"), local).unwrap();
    dir
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(local: &str, vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let dir = with_local(local);
    Settings::load_from(dir.path(), env(vars))
}

/// The whole error text; the test fails if loading succeeded.
fn error(local: &str, vars: &[(&str, &str)]) -> String {
    match load(local, vars) {
        Ok(settings) => panic!("expected an error, got {settings:?}"),
        Err(err) => format!("{err:#}"),
    }
}

fn assert_mentions(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` not in:\n{text}");
    }
}

#[test]
fn built_in_defaults_match_the_committed_file() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let from_file = Settings::load_from(&committed, []).unwrap();
    let built_in = Settings::builtin();
    assert_eq!(from_file.to_string(), built_in.to_string());
    assert_eq!(built_in.chats_dir, Path::new("chats"));
    assert_eq!(built_in.state_dir, Path::new("state"));
    assert_eq!(built_in.default_accounts, ["console"]);
    assert_eq!(built_in.http.listen, "127.0.0.1:9090");
    assert_eq!(built_in.log.format, LogFormat::Pretty);
    assert_eq!(built_in.log.level, "info");
    assert_eq!(built_in.rescan_interval, Duration::from_secs(30));
    assert_eq!(built_in.grace.question, Duration::from_secs(600));
    assert_eq!(built_in.grace.announce, Duration::from_secs(7200));
    assert_eq!(built_in.grace.thanks, Duration::from_secs(3600));
    assert_eq!(built_in.accounts["console"].platform, PlatformKind::Console);
}

#[test]
fn a_missing_config_folder_means_built_in_defaults() {
    let settings = Settings::load_from(Path::new("/nonexistent/config"), []).unwrap();
    assert_eq!(settings.to_string(), Settings::builtin().to_string());
}

#[test]
fn layers_apply_default_then_local_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut defaults = tweetchat_default_toml();
    defaults = defaults.replace("chats_dir = \"chats\"", "chats_dir = \"from-default\"");
    defaults = defaults.replace("state_dir = \"state\"", "state_dir = \"from-default\"");
    std::fs::write(dir.path().join("default.toml"), defaults).unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        "state_dir = \"from-local\"\nrescan_interval = 5\n[http]\nlisten = \"127.0.0.1:1\"\n",
    )
    .unwrap();
    let vars = env(&[
        ("TWEETCHAT__HTTP__LISTEN", "0.0.0.0:9090"),
        ("TWEETCHAT__LOG__FORMAT", "json"),
        ("UNRELATED", "x"),
    ]);
    let settings = Settings::load_from(dir.path(), vars).unwrap();
    assert_eq!(settings.chats_dir, Path::new("from-default"));
    assert_eq!(settings.state_dir, Path::new("from-local"));
    assert_eq!(settings.rescan_interval, Duration::from_secs(5));
    assert_eq!(settings.http.listen, "0.0.0.0:9090");
    assert_eq!(settings.log.format, LogFormat::Json);
}

fn tweetchat_default_toml() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"))
        .unwrap()
}

#[test]
fn environment_overrides_nested_account_keys() {
    let local = "[accounts.hcsm_mastodon]\nplatform = \"mastodon\"\napi_base = \"https://a.example\"\naccess_token = \"from-local\"\n";
    let settings = load(
        local,
        &[
            ("TWEETCHAT__ACCOUNTS__HCSM_MASTODON__ACCESS_TOKEN", "0012"),
            ("TWEETCHAT__ACCOUNTS__HCSM_MASTODON__TIMEOUT", "7"),
            ("TWEETCHAT__DEFAULT_ACCOUNTS", "console, hcsm_mastodon"),
        ],
    )
    .unwrap();
    let account = &settings.accounts["hcsm_mastodon"];
    // Strings stay strings: a numeric-looking token keeps its leading zeros.
    assert_eq!(account.secret("access_token").unwrap().expose(), "0012");
    assert_eq!(account.timeout, Duration::from_secs(7));
    assert_eq!(account.api_base.as_deref(), Some("https://a.example"));
    assert_eq!(settings.default_accounts, ["console", "hcsm_mastodon"]);
}

#[test]
fn an_account_can_come_entirely_from_the_environment() {
    let settings = load(
        "",
        &[
            ("TWEETCHAT__ACCOUNTS__HCSM_BLUESKY__PLATFORM", "bluesky"),
            (
                "TWEETCHAT__ACCOUNTS__HCSM_BLUESKY__HANDLE",
                "hcsm.bsky.social",
            ),
            (
                "TWEETCHAT__ACCOUNTS__HCSM_BLUESKY__APP_PASSWORD",
                "abcd-efgh",
            ),
            ("TWEETCHAT__ACCOUNTS__HCSM_BLUESKY__TIMEOUT", "1m30s"),
        ],
    )
    .unwrap();
    let account = &settings.accounts["hcsm_bluesky"];
    assert_eq!(account.platform, PlatformKind::Bluesky);
    assert_eq!(account.handle.as_deref(), Some("hcsm.bsky.social"));
    assert_eq!(account.timeout, Duration::from_secs(90));
}

#[test]
fn secrets_are_read_from_files_without_the_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cr3t-token\n").unwrap();
    let local = format!(
        "[accounts.main_x]\nplatform = \"x\"\nclient_id = \"abc\"\nrefresh_token_file = {:?}\n",
        token.display().to_string()
    );
    let settings = load(&local, &[]).unwrap();
    let account = &settings.accounts["main_x"];
    assert_eq!(
        account.secret("refresh_token").unwrap().expose(),
        "s3cr3t-token"
    );
    assert_eq!(account.client_id.as_deref(), Some("abc"));
}

#[test]
fn a_secret_file_path_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "from-file\r\n").unwrap();
    let path = token.display().to_string();
    let settings = load(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"https://m.example/\"\n",
        &[("TWEETCHAT__ACCOUNTS__M__ACCESS_TOKEN_FILE", &path)],
    )
    .unwrap();
    let account = &settings.accounts["m"];
    assert_eq!(
        account.secret("access_token").unwrap().expose(),
        "from-file"
    );
    assert_eq!(account.api_base.as_deref(), Some("https://m.example"));
}

#[test]
fn an_unreadable_secret_file_names_the_key_and_path() {
    let text = error(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"https://m.example\"\naccess_token_file = \"/nonexistent/token\"\n",
        &[],
    );
    assert_mentions(
        &text,
        &[
            "`accounts.m.access_token_file`",
            "/nonexistent/token",
            "local.toml",
        ],
    );
}

#[test]
fn an_empty_secret_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    let local = format!(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"https://m.example\"\naccess_token_file = {:?}\n",
        token.display().to_string()
    );
    assert_mentions(
        &error(&local, &[]),
        &["`accounts.m.access_token_file`", "is empty"],
    );
}

#[test]
fn inline_and_file_secret_together_is_an_error_without_the_value() {
    let text = error(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"https://m.example\"\naccess_token = \"hunter2\"\naccess_token_file = \"/run/secrets/t\"\n",
        &[],
    );
    assert_mentions(&text, &["either `access_token` or `access_token_file`"]);
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn account_names_must_be_lowercase_letters_digits_underscores() {
    let text = error("[accounts.Main-X]\nplatform = \"console\"\n", &[]);
    assert_mentions(
        &text,
        &["`accounts.Main-X`", "lowercase letters, digits and `_`"],
    );
}

#[test]
fn default_accounts_must_exist() {
    let text = error("default_accounts = [\"console\", \"nope\"]\n", &[]);
    assert_mentions(
        &text,
        &["`default_accounts` names `nope`", "[accounts.nope]"],
    );
}

#[test]
fn platform_is_required_and_must_be_known() {
    let text = error("[accounts.a]\nhandle = \"h\"\n", &[]);
    assert_mentions(&text, &["`accounts.a`", "missing `platform`"]);
    let text = error("[accounts.a]\nplatform = \"myspace\"\n", &[]);
    assert_mentions(
        &text,
        &["`accounts.a.platform`", "unknown platform `myspace`"],
    );
}

#[test]
fn x_needs_one_complete_credential_set() {
    let none = error("[accounts.x1]\nplatform = \"x\"\n", &[]);
    assert_mentions(
        &none,
        &["`accounts.x1`", "OAuth 1.0a", "client_id and refresh_token"],
    );
    let partial = error(
        "[accounts.x1]\nplatform = \"x\"\nconsumer_key = \"a\"\naccess_token = \"b\"\n",
        &[],
    );
    assert_mentions(
        &partial,
        &["also needs consumer_secret, access_token_secret"],
    );
    let mixed = error(
        "[accounts.x1]\nplatform = \"x\"\nconsumer_key = \"a\"\nclient_id = \"c\"\nrefresh_token = \"r\"\n",
        &[],
    );
    assert_mentions(&mixed, &["mixes OAuth 1.0a keys"]);
    let oauth1 = load(
        "[accounts.x1]\nplatform = \"x\"\nconsumer_key = \"a\"\nconsumer_secret = \"b\"\naccess_token = \"c\"\naccess_token_secret = \"d\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(oauth1.accounts["x1"].secrets.len(), 4);
}

#[test]
fn mastodon_needs_api_base_and_access_token() {
    let text = error("[accounts.m]\nplatform = \"mastodon\"\n", &[]);
    assert_mentions(
        &text,
        &["mastodon account needs api_base", "and access_token"],
    );
    let text = error(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"mastodon.social\"\naccess_token = \"t\"\n",
        &[],
    );
    assert_mentions(&text, &["`accounts.m.api_base`", "http:// or https://"]);
}

#[test]
fn bluesky_needs_handle_and_app_password() {
    let text = error("[accounts.b]\nplatform = \"bluesky\"\n", &[]);
    assert_mentions(&text, &["bluesky account needs handle", "and app_password"]);
}

#[test]
fn durations_must_be_positive_and_parse() {
    let text = error("rescan_interval = 0\n[grace]\nthanks = \"soon\"\n", &[]);
    assert_mentions(
        &text,
        &[
            "`rescan_interval` (",
            "longer than zero",
            "`grace.thanks` (",
            "expected a duration",
        ],
    );
    let text = error("", &[("TWEETCHAT__GRACE__QUESTION", "-5m")]);
    assert_mentions(
        &text,
        &[
            "`grace.question`",
            "TWEETCHAT__GRACE__QUESTION",
            "longer than zero",
        ],
    );
    let text = error(
        "[accounts.m]\nplatform = \"console\"\ntimeout = \"0s\"\n",
        &[],
    );
    assert_mentions(&text, &["`accounts.m.timeout`", "longer than zero"]);
}

#[test]
fn unknown_keys_are_named_with_their_source() {
    let text = error("chat_dir = \"typo\"\n[http]\nport = 1\n", &[]);
    assert_mentions(
        &text,
        &[
            "`chat_dir`",
            "did you mean `chats_dir`?",
            "`http.port`",
            "unknown setting",
            "local.toml",
        ],
    );
    let text = error("", &[("TWEETCHAT__LOG__COLOUR", "yes")]);
    assert_mentions(
        &text,
        &[
            "`log.colour`",
            "environment variable TWEETCHAT__LOG__COLOUR",
        ],
    );
    let text = error(
        "",
        &[("TWEETCHAT__ACCOUNTS__CONSOLE__ACESS_TOKEN", "hunter2")],
    );
    assert_mentions(
        &text,
        &[
            "`accounts.console.acess_token`",
            "unknown setting; did you mean `access_token`?",
        ],
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_key_for_another_platform_is_refused() {
    let text = error(
        "[accounts.m]\nplatform = \"mastodon\"\napi_base = \"https://m.example\"\naccess_token = \"t\"\napp_password = \"hunter2\"\n",
        &[],
    );
    assert_mentions(
        &text,
        &["`accounts.m.app_password`", "not used by mastodon accounts"],
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn listen_and_log_are_checked() {
    let text = error(
        "[http]\nlisten = \"9090\"\n[log]\nformat = \"xml\"\nlevel = \"tweetchat=loud\"\n",
        &[],
    );
    assert_mentions(
        &text,
        &[
            "`http.listen`",
            "host:port",
            "`log.format`",
            "\"pretty\" or \"json\"",
            "`log.level`",
        ],
    );
    let off = load("[http]\nlisten = \"\"\n", &[]).unwrap();
    assert_eq!(off.http.listen, "");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = error(
        "rescan_interval = 0\n[accounts.b]\nplatform = \"bluesky\"\n",
        &[],
    );
    assert_eq!(text.matches("\n  - ").count(), 2, "{text}");
}

#[test]
fn secrets_never_show_in_debug_or_display() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "file-secret-value\n").unwrap();
    let local = format!(
        "default_accounts = [\"x1\", \"b\"]\n[accounts.x1]\nplatform = \"x\"\nconsumer_key = \"ck-secret-value\"\nconsumer_secret = \"cs-secret-value\"\naccess_token = \"at-secret-value\"\naccess_token_secret = \"ats-secret-value\"\n[accounts.b]\nplatform = \"bluesky\"\nhandle = \"me.test\"\napp_password_file = {:?}\n",
        file.display().to_string()
    );
    let settings = load(&local, &[]).unwrap();
    let shown = format!("{settings:?}\n{settings}\n{settings:#?}");
    for secret in [
        "ck-secret-value",
        "cs-secret-value",
        "at-secret-value",
        "ats-secret-value",
        "file-secret-value",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
    }
    assert!(shown.contains("***"));
    assert!(shown.contains("me.test"), "non-secrets still show");
    assert_eq!(settings.default_account_settings().count(), 2);
}

/// One message per mistake: an empty token is "empty", not also "missing",
/// and the account it belongs to is not also "not an account".
#[test]
fn one_mistake_gives_one_message() {
    let text = error(
        "",
        &[
            ("TWEETCHAT__DEFAULT_ACCOUNTS", "main"),
            ("TWEETCHAT__ACCOUNTS__MAIN__PLATFORM", "mastodon"),
            (
                "TWEETCHAT__ACCOUNTS__MAIN__API_BASE",
                "https://mastodon.example",
            ),
            ("TWEETCHAT__ACCOUNTS__MAIN__ACCESS_TOKEN", ""),
        ],
    );
    assert_mentions(&text, &["`accounts.main.access_token`", "is empty"]);
    assert_eq!(text.matches("\n  - ").count(), 1, "{text}");
    // A wrong api_base is not also a missing one; the missing token is
    // its own mistake.
    let text = error(
        "default_accounts = [\"m\"]\n[accounts.m]\nplatform = \"mastodon\"\napi_base = \"mastodon.social\"\n",
        &[],
    );
    assert_mentions(
        &text,
        &["http:// or https://", "mastodon account needs access_token"],
    );
    assert!(!text.contains("needs api_base"), "{text}");
    assert!(!text.contains("not an account"), "{text}");
    assert_eq!(text.matches("\n  - ").count(), 2, "{text}");
    // An X client id given empty is one message too.
    let text = error("[accounts.x]\nplatform = \"x\"\nclient_id = \"\"\n", &[]);
    assert_eq!(text.matches("\n  - ").count(), 1, "{text}");
}

#[test]
fn loopback_trust_follows_public_url_unless_set_and_listener_limits_are_read() {
    let private = load("", &[]).unwrap();
    assert!(private.http.trust_loopback, "no public_url: trusted");
    assert_eq!(private.http.max_connections, 256);
    assert_eq!(
        private.http.header_timeout,
        std::time::Duration::from_secs(10)
    );
    let public = load("[http]\npublic_url = \"https://chats.example.org\"\n", &[]).unwrap();
    assert!(!public.http.trust_loopback, "published: not trusted");
    let explicit = load(
        "[http]\npublic_url = \"https://chats.example.org\"\ntrust_loopback = true\n",
        &[],
    )
    .unwrap();
    assert!(explicit.http.trust_loopback);
    let from_env = load(
        "",
        &[
            ("TWEETCHAT__HTTP__TRUST_LOOPBACK", "false"),
            ("TWEETCHAT__HTTP__MAX_CONNECTIONS", "64"),
            ("TWEETCHAT__HTTP__HEADER_TIMEOUT", "3s"),
        ],
    )
    .unwrap();
    assert!(!from_env.http.trust_loopback);
    assert_eq!(from_env.http.max_connections, 64);
    assert_eq!(
        from_env.http.header_timeout,
        std::time::Duration::from_secs(3)
    );
    assert_mentions(
        &error("[http]\ntrust_loopback = \"yes\"\n", &[]),
        &["http.trust_loopback", "true, false or \"auto\"", "`yes`"],
    );
    assert_mentions(
        &error("[http]\nmax_connections = 0\n", &[]),
        &["http.max_connections", "from 1 to 1000000", "`0`"],
    );
}
