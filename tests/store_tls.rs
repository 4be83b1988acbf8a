//! `[store] url` over TLS, against a real PostgreSQL that takes TLS
//! connections only (a private cluster with `ssl = on`, a `hostnossl …
//! reject` line and the test certificates in `tests/data/tls/postgres`,
//! issued by a private CA for the name `localhost`).
//!
//! What an operator meets: a URL with `sslmode=verify-full` and the
//! database's own CA in `sslrootcert` connects, encrypted; a URL without
//! `sslmode` is refused by the server and told to add it; a certificate
//! from a CA this machine does not trust, or for another host name, is
//! refused on our side, with the fix, and never waited on as if the
//! database were down. Through the system's roots (`SSL_CERT_FILE`, read
//! by the platform verifier) a `tweetchat` process connects with
//! `sslmode=require` alone, and one on a machine without CA certificates
//! is told so.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::postgres::Postgres;
use tweetchat::store::{Claim, Intent, PgStore};

fn certs(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls/postgres")
        .join(name)
}

/// The server's URL (`localhost`, the name on its certificate) with `query`.
fn url(pg: &Postgres, query: &str) -> String {
    format!("{}?{query}", pg.admin_url())
}

fn intent() -> Intent {
    Intent {
        key: "tls/welcome".into(),
        chat: "tls".into(),
        occurrence: "2026-12-02T12:00".into(),
        kind: "welcome".into(),
        n: None,
        account: "main_x".into(),
        due: "2026-12-02T18:00:00Z".parse().unwrap(),
        missed: None,
    }
}

async fn refused(url: &str) -> String {
    let started = std::time::Instant::now();
    let err = PgStore::connect(url, Some("hunter2"), "r1")
        .await
        .expect_err("refused");
    // Refused at once, not waited on like a database that is down.
    assert!(
        err.downcast_ref::<tweetchat::store::pg::Unreachable>()
            .is_none(),
        "{err:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let said = format!("{err:#}");
    assert!(!said.contains("hunter2"), "{said}");
    said
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_takes_only_tls_is_reached_through_its_own_ca() {
    let Some(pg) = Postgres::start_tls() else {
        return;
    };
    let ca = certs("ca.pem");
    let good = url(
        &pg,
        &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
    );
    let store = PgStore::connect(&good, None, "r1").await.unwrap();
    // The server refuses plain connections (`hostnossl … reject`), so a
    // claim committed is a claim committed over TLS.
    assert_eq!(store.claim(&[intent()]).await.unwrap(), [Claim::Fresh]);

    let plain = refused(pg.admin_url()).await;
    assert!(plain.contains("no encryption"), "{plain}");
    assert!(plain.contains("add ?sslmode=verify-full"), "{plain}");

    let other = refused(&url(
        &pg,
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            certs("other-ca.pem").display()
        ),
    ))
    .await;
    assert!(other.contains("UnknownIssuer"), "{other}");
    assert!(other.contains("sslrootcert=/path/to/ca.pem"), "{other}");

    // The system's roots do not hold the private CA: `require` checks the
    // certificate too (libpq's would not), so this is refused.
    let system = refused(&url(&pg, "sslmode=require")).await;
    // (A machine without any system CA says so instead, also refused.)
    assert!(
        system.contains("UnknownIssuer") || system.contains("no CA certificates"),
        "{system}"
    );

    // The right CA, but the address is not the name on the certificate.
    let by_address = good.replace("@localhost:", "@127.0.0.1:");
    let wrong_name = refused(&by_address).await;
    assert!(wrong_name.contains("not valid for name"), "{wrong_name}");
    assert!(wrong_name.contains("host name"), "{wrong_name}");

    let missing = refused(&url(
        &pg,
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ))
    .await;
    assert!(
        missing.contains("cannot read the CA file sslrootcert=/nonexistent/ca.pem"),
        "{missing}"
    );
}

/// `tweetchat status` with `[store] url` = the server's URL and `query`,
/// the system's roots taken from `cert_file` (`SSL_CERT_FILE`, read by the
/// platform verifier): whether it succeeded, and what it said.
async fn status(pg: &Postgres, query: &str, cert_file: &Path) -> (bool, String) {
    let config = tempfile::tempdir().unwrap();
    let local = format!(
        "state_dir = {:?}\n[store]\nurl = {:?}\n",
        config.path().join("state"),
        url(pg, query),
    );
    std::fs::write(config.path().join("local.toml"), local).unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(config.path())
        .arg("status")
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .env("SSL_CERT_FILE", cert_file)
        .env("SSL_CERT_DIR", config.path().join("no-such-folder"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    let output = command.output().await.unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// On a machine whose system roots hold the database's CA (as an operator
/// installs it), the URL needs `sslmode=require` and nothing else; on one
/// with no CA certificates at all, `tweetchat` says so and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_roots_serve_a_url_with_sslmode_require() {
    let Some(pg) = Postgres::start_tls() else {
        return;
    };
    let (ok, said) = status(&pg, "sslmode=require", &certs("ca.pem")).await;
    assert!(ok, "{said}");
    let (ok, said) = status(&pg, "sslmode=require", Path::new("/dev/null")).await;
    assert!(!ok, "{said}");
    assert!(said.contains("no CA certificates"), "{said}");
    assert!(said.contains("sslrootcert=/path/to/ca.pem"), "{said}");
}
