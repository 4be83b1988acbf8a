//! Connecting to PostgreSQL: the URL, the password, TLS, the pool.
//!
//! The URL is libpq's (`postgres://user@host:5432/db?sslmode=require`).
//! A password comes from the URL itself, from `[store] url_file` (the
//! whole URL in a file, as a Kubernetes Secret mounts it) or from
//! `[store] password_file`; it is never printed: every message names the
//! server by [`redact`]ed URL.
//!
//! TLS, as libpq's URL asks for it ([`Tls::from_url`]): `sslmode=require`,
//! `verify-ca` and `verify-full` all turn it on, and all three check the
//! certificate's chain and the host name (libpq's `require` checks neither
//! unless a root file is given; a database reached over a network it does
//! not own is worth checking). The chain ends at the system's roots (the
//! verifier the HTTP clients use, `src/tls.rs`), or at the CAs in
//! `sslrootcert=FILE` alone: a managed database's or CloudNativePG's own
//! CA. `disable`, `allow`, `prefer` or no `sslmode` connect in plain text,
//! as on a private network or a unix socket.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;

/// Most connections one replica keeps open: claims and results, lease
/// renewals, one per advisory lock held (an X refresh), the pages.
pub const POOL_SIZE: usize = 16;

/// How long a connection attempt may take before it counts as a failure
/// (the database unreachable).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

pub use crate::settings::redact_url as redact;

/// How the connection is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Plain text.
    Off,
    /// TLS, the certificate checked against the system's roots.
    SystemRoots,
    /// TLS, the certificate checked against the CAs in this PEM file only.
    RootFile(PathBuf),
}

impl Tls {
    /// Takes libpq's TLS options (`sslmode`, `sslrootcert`) out of `url`,
    /// which the driver would otherwise refuse or read differently, and
    /// says what they ask for. A client certificate (`sslcert`, `sslkey`)
    /// is refused with a clear word rather than the driver's.
    pub fn from_url(url: &str) -> anyhow::Result<(String, Tls)> {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_string(), Tls::Off));
        };
        let mut mode = None;
        let mut root = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "sslmode" => mode = Some(value.to_string()),
                "sslrootcert" => root = Some(percent_decode(value)),
                "sslcert" | "sslkey" | "sslpassword" => bail!(
                    "[store] url {} asks for a client certificate (`{name}`), which tweetchat                      does not send: authenticate with a password (password_file) over                      sslmode=verify-full",
                    redact(url)
                ),
                _ => kept.push(pair),
            }
        }
        let tls = match (mode.as_deref(), root) {
            (Some("require" | "verify-ca" | "verify-full"), Some(root)) if root != "system" => {
                Tls::RootFile(PathBuf::from(root))
            }
            (Some("require" | "verify-ca" | "verify-full"), _) => Tls::SystemRoots,
            (None | Some("disable" | "allow" | "prefer"), _) => Tls::Off,
            (Some(other), _) => bail!(
                "[store] url {}: sslmode={other} is not one of disable, prefer, require,                  verify-ca or verify-full; write sslmode=verify-full for TLS",
                redact(url)
            ),
        };
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok((url, tls))
    }
}

/// `%2F` and the like in a URL's value, as libpq reads them.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parsed URL with the password applied, and the TLS it asks for.
pub fn config(url: &str, password: Option<&str>) -> anyhow::Result<(tokio_postgres::Config, Tls)> {
    let (driver_url, tls) = Tls::from_url(url)?;
    let mut config = tokio_postgres::Config::from_str(&driver_url).map_err(|err| {
        anyhow!(
            "[store] url {} is not a PostgreSQL URL ({}): write it as \
             postgres://USER@HOST:5432/DATABASE, the password in [store] password_file",
            redact(url),
            // The parser's words name the option, never its value.
            err
        )
    })?;
    config.ssl_mode(if tls == Tls::Off {
        SslMode::Disable
    } else {
        SslMode::Require
    });
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
    Ok((config, tls))
}

/// A pool on `config`, encrypted as `tls` says. Connections are made on
/// first use, so this succeeds while the server is down.
pub fn pool(config: tokio_postgres::Config, tls: &Tls) -> anyhow::Result<Pool> {
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let rustls = match tls {
        Tls::Off => None,
        Tls::SystemRoots => Some(crate::tls::postgres_config().map_err(|e| {
            anyhow!(
                "[store] url asks for TLS checked against the system's roots, but {e}: this \
                 machine has no CA certificates to check the server's with; install them \
                 (Debian's ca-certificates) or name the server's CA with \
                 sslrootcert=/path/to/ca.pem"
            )
        })?),
        Tls::RootFile(path) => {
            let pem = std::fs::read(path).with_context(|| {
                format!(
                    "[store] url: cannot read the CA file sslrootcert={}",
                    path.display()
                )
            })?;
            Some(
                crate::tls::postgres_config_trusting(&pem)
                    .map_err(|e| anyhow!("[store] url: sslrootcert={}: {e}", path.display()))?,
            )
        }
    };
    let manager = match rustls {
        Some(tls) => Manager::from_config(
            config,
            tokio_postgres_rustls::MakeRustlsConnect::new(tls),
            manager_config,
        ),
        None => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
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

/// What to do about a connection error, when its words say: the fixes an
/// operator meets setting TLS up.
pub fn hint(error: &str) -> Option<&'static str> {
    if error.contains("no encryption") {
        Some("the server takes only TLS connections: add ?sslmode=verify-full to [store] url")
    } else if error.contains("UnknownIssuer") {
        Some(
            "the server's certificate is not signed by a CA this machine trusts: name its CA \
             with sslrootcert=/path/to/ca.pem in [store] url (or add it to the system's roots)",
        )
    } else if error.contains("NotValidForName") || error.contains("not valid for name") {
        Some(
            "the server's certificate does not carry the host name of [store] url: connect \
             with a name the certificate was issued for",
        )
    } else if error.contains("No CA certificates were loaded") {
        Some(
            "this machine has no CA certificates to check the server's with: install them \
             (Debian's ca-certificates) or name the server's CA with sslrootcert=/path/to/ca.pem",
        )
    } else if error.contains("server does not support TLS") {
        Some(
            "the server has TLS off: turn ssl on in postgresql.conf, or drop sslmode from [store] url",
        )
    } else {
        None
    }
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

    #[test]
    fn libpq_tls_options_are_read_and_taken_out_of_the_url() {
        let tls = |url: &str| Tls::from_url(url).unwrap();
        assert_eq!(
            tls("postgres://app@db/chats"),
            ("postgres://app@db/chats".into(), Tls::Off)
        );
        for mode in ["require", "verify-ca", "verify-full"] {
            assert_eq!(
                tls(&format!("postgres://app@db/chats?sslmode={mode}")),
                ("postgres://app@db/chats".into(), Tls::SystemRoots),
                "{mode}"
            );
        }
        assert_eq!(
            tls(
                "postgres://app@db/chats?connect_timeout=5&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
            ),
            (
                "postgres://app@db/chats?connect_timeout=5".into(),
                Tls::RootFile("/etc/ca.pem".into())
            )
        );
        assert_eq!(
            tls("postgres://app@db/chats?sslmode=require&sslrootcert=system").1,
            Tls::SystemRoots
        );
        for plain in ["disable", "allow", "prefer"] {
            assert_eq!(
                tls(&format!("postgres://app@db/chats?sslmode={plain}")).1,
                Tls::Off
            );
        }
        // A root file without sslmode: plain, as libpq (which defaults to
        // prefer) would fall back to.
        assert_eq!(tls("postgres://app@db/c?sslrootcert=/ca.pem").1, Tls::Off);
    }

    #[test]
    fn unknown_modes_and_client_certificates_are_refused_in_our_words() {
        let err = Tls::from_url("postgres://app:hunter2@db/c?sslmode=verify")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=verify is not one of"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = Tls::from_url("postgres://app:hunter2@db/c?sslmode=verify-full&sslcert=/c.pem")
            .unwrap_err()
            .to_string();
        assert!(err.contains("client certificate (`sslcert`)"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn the_driver_is_told_to_encrypt_exactly_when_asked() {
        let (tls, _) = config("postgres://app@db/c?sslmode=verify-full", None).unwrap();
        assert_eq!(tls.get_ssl_mode(), SslMode::Require);
        let (plain, _) = config("postgres://app@db/c?sslmode=prefer", None).unwrap();
        assert_eq!(plain.get_ssl_mode(), SslMode::Disable);
    }
}
