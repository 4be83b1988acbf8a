//! One `[accounts.NAME]` table: its platform, what that platform needs, and
//! its secrets, read inline or from a `NAME_file`.
//!
//! Each platform accepts only the keys it uses, so a credential put under the
//! wrong account (or misspelt) is an error instead of a silent no-op.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::reader::{Field, Table};
use super::{AccountSettings, Secret};
use crate::text::PlatformKind;

/// Per-request timeout when an account does not set `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Every credential an account may carry, in the order they are documented.
pub const SECRET_KEYS: [&str; 7] = [
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
    "client_secret",
    "refresh_token",
    "app_password",
];

const X_OAUTH1: [&str; 4] = [
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
];

/// The keys (besides `platform`) each platform reads; secrets also as `KEY_file`.
fn keys_for(platform: PlatformKind) -> &'static [&'static str] {
    match platform {
        PlatformKind::Console => &["api_base", "timeout"],
        PlatformKind::X => &[
            "api_base",
            "timeout",
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_token_secret",
            "client_id",
            "client_secret",
            "refresh_token",
        ],
        PlatformKind::Mastodon => &["api_base", "timeout", "access_token"],
        PlatformKind::Bluesky => &["api_base", "timeout", "handle", "app_password"],
    }
}

/// `true` for a name that can appear in an environment variable unchanged.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Reads and checks one account; every problem goes to `problems`.
pub fn read_account(
    name: &str,
    mut table: Table,
    problems: &mut Vec<String>,
) -> Option<AccountSettings> {
    let source = table.source();
    let platform = read_platform(&mut table, &source, problems)?;
    let mut account = AccountSettings {
        name: name.to_string(),
        platform,
        api_base: None,
        handle: None,
        client_id: None,
        secrets: BTreeMap::new(),
        timeout: DEFAULT_TIMEOUT,
    };
    let before = problems.len();
    let wrong = read_fields(&mut account, &mut table, problems);
    reject_unused(platform, table, problems);
    // A key that is there but wrong was reported already: one message per
    // mistake, not a second "needs access_token" for the empty one.
    check_required(&account, &wrong, &source, problems);
    (problems.len() == before).then_some(account)
}

fn read_platform(
    table: &mut Table,
    source: &str,
    problems: &mut Vec<String>,
) -> Option<PlatformKind> {
    let Some(field) = table.take("platform") else {
        problems.push(format!(
            "`{}` ({source}): missing `platform`; add platform = \"console\", \"x\", \"mastodon\" or \"bluesky\"",
            table.key
        ));
        return None;
    };
    field
        .string()
        .and_then(|s| s.parse::<PlatformKind>().map_err(|e| field.error(e)))
        .map_err(|e| problems.push(e))
        .ok()
}

/// Takes the keys this account's platform reads; the rest stay in `table`.
/// Returns the keys that were given but wrong (each reported once here).
fn read_fields(
    account: &mut AccountSettings,
    table: &mut Table,
    problems: &mut Vec<String>,
) -> Vec<&'static str> {
    let allowed = keys_for(account.platform);
    let mut wrong = Vec::new();
    let mut keep = |key: &'static str, result: Result<(), String>| {
        if let Err(e) = result {
            problems.push(e);
            wrong.push(key);
        }
    };
    let mut take = |key: &str| allowed.contains(&key).then(|| table.take(key)).flatten();
    if let Some(field) = take("handle") {
        keep(
            "handle",
            field.non_empty_string().map(|v| account.handle = Some(v)),
        );
    }
    if let Some(field) = take("client_id") {
        keep(
            "client_id",
            field
                .non_empty_string()
                .map(|v| account.client_id = Some(v)),
        );
    }
    if let Some(field) = take("api_base") {
        keep(
            "api_base",
            api_base(&field).map(|v| account.api_base = Some(v)),
        );
    }
    if let Some(field) = take("timeout") {
        keep("timeout", field.duration().map(|v| account.timeout = v));
    }
    for key in SECRET_KEYS
        .iter()
        .copied()
        .filter(|key| allowed.contains(key))
    {
        keep(
            key,
            read_secret(table, key).map(|secret| {
                if let Some(secret) = secret {
                    account.secrets.insert(key.to_string(), secret);
                }
            }),
        );
    }
    wrong
}

fn api_base(field: &Field) -> Result<String, String> {
    let url = field.non_empty_string()?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(field.error(format!(
            "expected an http:// or https:// URL such as \"https://mastodon.social\", found `{url}`"
        )));
    }
    // What `run` would fail on at the first request, `check` reports now.
    match reqwest::Url::parse(&url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => {}
        Ok(_) | Err(_) => {
            return Err(field.error(format!(
                "`{url}` is not a usable URL; write the server's address, such as \"https://mastodon.social\""
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `key` inline or `key_file`; both at once is ambiguous and an error.
pub(super) fn read_secret(table: &mut Table, key: &str) -> Result<Option<Secret>, String> {
    let inline = table.take(key);
    let file = table.take(&format!("{key}_file"));
    match (inline, file) {
        (None, None) => Ok(None),
        (Some(inline), Some(file)) => Err(inline.error(format!(
            "set either `{key}` or `{key}_file` (from {}), not both",
            file.source()
        ))),
        (Some(inline), None) => {
            // Never echo the value: a wrong type is reported by kind only.
            let value = inline.string()?;
            let value = super::secret_file::trim_secret(&value).to_string();
            if value.trim().is_empty() {
                return Err(inline.error("is empty; give the secret or remove the key"));
            }
            Ok(Some(Secret::new(value)))
        }
        (None, Some(file)) => read_secret_file(&file).map(Some),
    }
}

/// Reads a secret file ([`super::secret_file`]: a regular file of at most
/// 64 KiB, within a timeout), trimming the trailing line breaks. Errors
/// name the key and the path, never the content.
fn read_secret_file(field: &Field) -> Result<Secret, String> {
    let path = field.non_empty_string()?;
    let value = super::secret_file::read(Path::new(&path)).map_err(|e| field.error(e))?;
    if value.trim().is_empty() {
        return Err(field.error(format!("secret file {path} is empty")));
    }
    Ok(Secret::new(value))
}

/// Keys this platform does not read: unknown everywhere, or meant for another
/// platform.
fn reject_unused(platform: PlatformKind, table: Table, problems: &mut Vec<String>) {
    let allowed = keys_for(platform);
    for field in table.leftovers() {
        let name = field.key.rsplit('.').next().unwrap_or_default().to_string();
        let bare = name.strip_suffix("_file").unwrap_or(&name);
        let known = SECRET_KEYS.contains(&bare) || ["handle", "client_id"].contains(&bare);
        let message = if known {
            format!(
                "not used by {platform} accounts; they take platform, {}",
                allowed.join(", ")
            )
        } else {
            let names = ["platform", "api_base", "handle", "client_id", "timeout"]
                .into_iter()
                .chain(SECRET_KEYS.iter().copied());
            format!(
                "unknown setting; {}an account takes platform, api_base, handle, client_id, timeout, {} (each secret also as NAME_file)",
                super::did_you_mean(bare, names),
                SECRET_KEYS.join(", ")
            )
        };
        problems.push(field.error(message));
    }
}

/// What each platform cannot work without.
fn check_required(
    account: &AccountSettings,
    wrong: &[&str],
    source: &str,
    problems: &mut Vec<String>,
) {
    let has = |key: &str| account.secrets.contains_key(key) || wrong.contains(&key);
    let prefix = format!("`accounts.{}` ({source})", account.name);
    match account.platform {
        PlatformKind::Console => {}
        PlatformKind::X => check_x(account, wrong, &prefix, problems),
        PlatformKind::Mastodon => {
            let mut missing = Vec::new();
            if account.api_base.is_none() && !wrong.contains(&"api_base") {
                missing.push("api_base (the instance, e.g. \"https://mastodon.social\")");
            }
            if !has("access_token") {
                missing.push("access_token");
            }
            if !missing.is_empty() {
                problems.push(format!(
                    "{prefix}: mastodon account needs {}",
                    missing.join(" and ")
                ));
            }
        }
        PlatformKind::Bluesky => {
            let mut missing = Vec::new();
            match &account.handle {
                None if wrong.contains(&"handle") => {}
                None => missing.push("handle (e.g. \"hcsm.bsky.social\")"),
                Some(handle) if !is_bluesky_handle(handle) => problems.push(format!(
                    "{prefix}: `{handle}` is not a Bluesky handle; write the whole domain name \
                     without @, e.g. handle = \"hcsm.bsky.social\" (or the account's did:plc:…)"
                )),
                Some(_) => {}
            }
            if !has("app_password") {
                missing.push("app_password");
            }
            if !missing.is_empty() {
                problems.push(format!(
                    "{prefix}: bluesky account needs {}",
                    missing.join(" and ")
                ));
            }
        }
    }
}

/// A handle as Bluesky's login takes it: a domain name of two or more
/// labels (`hcsm.bsky.social`, `example.org`), or the account's DID.
fn is_bluesky_handle(handle: &str) -> bool {
    if let Some(rest) = handle.strip_prefix("did:") {
        return rest.contains(':') && !rest.contains(char::is_whitespace);
    }
    let labels: Vec<&str> = handle.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// X: the four OAuth 1.0a keys, or an OAuth 2.0 client id (with a refresh
/// token, or tokens from `tweetchat auth x` in the state database).
fn check_x(account: &AccountSettings, wrong: &[&str], prefix: &str, problems: &mut Vec<String>) {
    let has = |key: &str| account.secrets.contains_key(key) || wrong.contains(&key);
    let oauth1: Vec<&str> = X_OAUTH1.iter().copied().filter(|k| has(k)).collect();
    let has_client_id = account.client_id.is_some() || wrong.contains(&"client_id");
    let oauth2 = has_client_id || has("refresh_token") || has("client_secret");
    if !oauth1.is_empty() && oauth2 {
        problems.push(format!(
            "{prefix}: x account mixes OAuth 1.0a keys ({}) with OAuth 2.0 keys (client_id, client_secret, refresh_token); keep one set",
            oauth1.join(", ")
        ));
    } else if !oauth1.is_empty() {
        let missing: Vec<&str> = X_OAUTH1.iter().copied().filter(|k| !has(k)).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{prefix}: x account with OAuth 1.0a keys also needs {}",
                missing.join(", ")
            ));
        }
    } else if !has_client_id {
        // client_id alone is complete: `tweetchat auth x` keeps the tokens in
        // the state database, and the account fails at start-up with that
        // advice when there are none.
        problems.push(format!(
            "{prefix}: x account needs either consumer_key, consumer_secret, access_token and access_token_secret (OAuth 1.0a) or client_id and refresh_token (OAuth 2.0; client_id alone once `tweetchat auth x` has stored tokens)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_env_var_safe() {
        assert!(is_valid_name("main_x"));
        assert!(is_valid_name("hcsm2"));
        assert!(!is_valid_name("Main"));
        assert!(!is_valid_name("main-x"));
        assert!(!is_valid_name(""));
    }

    #[test]
    fn bluesky_handles_are_domain_names_or_dids() {
        for good in [
            "hcsm.bsky.social",
            "example.org",
            "did:plc:z72i7hdynmk6r22z27h6tvur",
        ] {
            assert!(is_bluesky_handle(good), "{good}");
        }
        for bad in [
            "@hcsm.bsky.social",
            "hcsm",
            "hcsm.bsky.",
            "hcsm bsky.social",
            "a.1x",
        ] {
            assert!(!is_bluesky_handle(bad), "{bad}");
        }
    }

    #[test]
    fn every_secret_key_is_read_by_some_platform() {
        let all: Vec<&str> = [
            PlatformKind::X,
            PlatformKind::Mastodon,
            PlatformKind::Bluesky,
        ]
        .iter()
        .flat_map(|p| keys_for(*p).iter().copied())
        .collect();
        for key in SECRET_KEYS {
            assert!(all.contains(&key), "{key} is read by no platform");
        }
    }
}
