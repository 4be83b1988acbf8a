//! `[store]`: where the state lives.
//!
//! Without `url`, SQLite in `state_dir`, exactly as before there was a
//! choice. With `url = "postgres://USER@HOST:5432/DATABASE"` (or the whole
//! URL from `url_file`, as a Kubernetes Secret mounts it), PostgreSQL,
//! shared by every replica; the password from the URL, `password` or
//! `password_file`. The URL and the password are [`Secret`]s: printed as
//! `***`, and every message names the server by [`redact_url`].
//! `replica` names this process in logs, `/metrics`, the operator page and
//! the claims it holds; by default the host name and the process id.

use super::Secret;
use super::account::read_secret;
use super::reader::Table;

#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// `postgres://…`; `None`: SQLite in `state_dir`.
    pub url: Option<Secret>,
    pub password: Option<Secret>,
    /// This process's name among the replicas.
    pub replica: String,
}

impl StoreSettings {
    /// The URL with its password hidden, for messages.
    pub fn redacted_url(&self) -> Option<String> {
        self.url.as_ref().map(|url| redact_url(url.expose()))
    }
}

pub(super) fn read_store(mut table: Table, problems: &mut Vec<String>) -> Option<StoreSettings> {
    let replica_field = table.take("replica");
    let url = read_secret(&mut table, "url")
        .map_err(|e| problems.push(e))
        .ok()?;
    let password = read_secret(&mut table, "password")
        .map_err(|e| problems.push(e))
        .ok()?;
    super::reject_unknown(
        table,
        "url, url_file, password, password_file, replica",
        problems,
    );
    if let Some(url) = &url {
        let text = url.expose().trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            problems.push(format!(
                "`store.url` is `{}`: expected postgres://USER@HOST:5432/DATABASE (add \
                 ?sslmode=require for TLS; the password in store.password_file), or leave it \
                 out for SQLite in state_dir",
                redact_url(text)
            ));
        }
    }
    if password.is_some() && url.is_none() {
        problems.push(
            "`store.password` is set but `store.url` is not: the password is for PostgreSQL \
             (store.url); SQLite needs none"
                .to_string(),
        );
    }
    let replica = match replica_field {
        None => default_replica(),
        Some(field) => {
            let name = field.string().map_err(|e| problems.push(e)).ok()?;
            let name = name.trim();
            if name.is_empty() {
                default_replica()
            } else if name.len() > 100 || name.chars().any(char::is_control) {
                problems.push(field.error(
                    "expected a short name for this replica such as \"tweetchat-0\" (at most \
                     100 characters), or \"\" for the host name and process id",
                ));
                return None;
            } else {
                name.to_string()
            }
        }
    };
    Some(StoreSettings {
        url,
        password,
        replica,
    })
}

/// The host name and the process id (`chats-7f9c-2x1lq/4182`): unique
/// among replicas on different hosts (a pod's host name is its name) and
/// among processes on one.
pub fn default_replica() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "tweetchat".to_string());
    format!("{host}/{}", std::process::id())
}

/// `url` with any password replaced by `***`: in the user part
/// (`postgres://app:***@db/chats`) and as a `password=` parameter.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = out[authority_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| authority_start + i);
        if let Some(at) = out[authority_start..authority_end].rfind('@') {
            let userinfo = &out[authority_start..authority_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(authority_start + colon + 1..authority_start + at, "***");
            }
        }
    }
    if let Some(query_start) = out.find('?') {
        let (head, query) = out.split_at(query_start + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_in_the_user_part_and_the_query() {
        assert_eq!(
            redact_url("postgres://app:s3cr:et@db.example:5432/chats?sslmode=require"),
            "postgres://app:***@db.example:5432/chats?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app@db/chats?password=hunter2&sslmode=require"),
            "postgres://app@db/chats?password=***&sslmode=require"
        );
        assert_eq!(redact_url("postgres://db/chats"), "postgres://db/chats");
    }

    #[test]
    fn the_default_replica_is_host_and_pid() {
        let replica = default_replica();
        assert!(
            replica.ends_with(&format!("/{}", std::process::id())),
            "{replica}"
        );
    }
}
