//! Connecting to PostgreSQL: the URL, the password, TLS, the pool.
//!
//! The URL is libpq's (`postgres://user@host:5432/db?sslmode=require`).
//! A password comes from the URL itself, from `[store] url_file` (the
//! whole URL in a file, as a Kubernetes Secret mounts it) or from
//! `[store] password_file`; it is never printed: every message names the
//! server by [`redact`]ed URL. `sslmode=require` turns on TLS with the
//! system's roots and the host name checked (the verifier the HTTP clients
//! use, `src/tls.rs`); without it the connection is plain, as on a
//! private network or a unix socket.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;

/// Most connections one replica keeps open: claims and results, lease
/// renewals, one per advisory lock held (an X refresh), the pages.
pub const POOL_SIZE: usize = 16;

/// How long a connection attempt may take before it counts as a failure
/// (the database unreachable).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub use crate::settings::redact_url as redact;

/// The parsed URL with the password applied, and whether it asks for TLS.
pub fn config(url: &str, password: Option<&str>) -> anyhow::Result<tokio_postgres::Config> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|err| {
        anyhow!(
            "[store] url {} is not a PostgreSQL URL ({}): write it as \
             postgres://USER@HOST:5432/DATABASE, the password in [store] password_file",
            redact(url),
            // The parser's words name the option, never its value.
            err
        )
    })?;
    if let Some(password) = password {
        config.password(password.trim_end_matches(['\n', '\r']));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("tweetchat");
    }
    // Keepalives notice a server gone away (a failover) within seconds
    // rather than at the kernel's two hours.
    config.keepalives_idle(Duration::from_secs(5));
    Ok(config)
}

/// A pool on `config`, TLS when the URL asks for it. Connections are made
/// on first use, so this succeeds while the server is down.
pub fn pool(config: tokio_postgres::Config) -> anyhow::Result<Pool> {
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match config.get_ssl_mode() {
        SslMode::Require => {
            let tls = crate::tls::postgres_config().map_err(|e| anyhow!(e))?;
            Manager::from_config(
                config,
                tokio_postgres_rustls::MakeRustlsConnect::new(tls),
                manager_config,
            )
        }
        _ => {
            // `prefer` (libpq's default) would try TLS and fail on a
            // server without it; ask for TLS with `sslmode=require`.
            let mut config = config;
            config.ssl_mode(SslMode::Disable);
            Manager::from_config(config, tokio_postgres::NoTls, manager_config)
        }
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .context("building the PostgreSQL connection pool")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        let err = config("postgres://app:hunter2@db:notaport/chats", None)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(
            err.contains("postgres://app:***@db:notaport/chats"),
            "{err}"
        );
    }
}
