//! TLS set-up for the HTTP clients.
//!
//! reqwest is built with `rustls-no-provider` (ring, not aws-lc: a smaller
//! binary and no C toolchain for the build), so the process must install
//! rustls's crypto provider once before the first `https://` request.
//!
//! Every account has its own HTTP client (its own timeout and connection
//! pool), but they all trust the same roots. Left to itself, reqwest builds
//! a certificate verifier per client, and each one reads and parses the
//! system's CA bundle again: with 50 accounts that was a quarter of the
//! daemon's start-up CPU and about 200 KB of resident memory per account.
//! [`client`] builds the verifier once and gives every client a clone of one
//! [`rustls::ClientConfig`], which shares it by reference count.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Installs the ring crypto provider as the process default; safe to call
/// any number of times from anywhere.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The user agent every request of ours carries.
pub const USER_AGENT: &str = concat!("tweetchat/", env!("CARGO_PKG_VERSION"));

/// An HTTP client whose requests time out after `timeout`, trusting the
/// system's roots through the one shared verifier.
///
/// # Errors
/// When the system has no usable CA certificates (the message says so in
/// the verifier's words), or reqwest refuses the configuration.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    let config = shared_config()?;
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .tls_backend_preconfigured(config.clone())
        .build()
        .map_err(|e| e.to_string())
}

/// The TLS configuration for PostgreSQL (`sslmode=require`): the same
/// verifier and protocol versions as the HTTP clients, without HTTP's ALPN.
///
/// # Errors
/// As [`client`].
pub fn postgres_config() -> Result<rustls::ClientConfig, String> {
    let mut config = shared_config()?.clone();
    config.alpn_protocols.clear();
    Ok(config)
}

/// The TLS configuration for PostgreSQL with `sslrootcert=FILE`: the
/// certificate must chain to one of the CAs in `pem` (and name the host);
/// the system's roots are not consulted, as libpq does with a root file.
///
/// # Errors
/// When `pem` holds no certificate, or one rustls cannot use as a root.
pub fn postgres_config_trusting(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    init();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("not a PEM certificate file ({e})"))?;
        roots
            .add(cert)
            .map_err(|e| format!("a certificate that cannot be a root ({e})"))?;
    }
    if roots.is_empty() {
        return Err("no certificate in the file (expected -----BEGIN CERTIFICATE-----)".into());
    }
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What reqwest would build for a client with default TLS settings (TLS 1.2
/// and 1.3, SNI, the platform verifier, ALPN offering h2 then HTTP/1.1),
/// built once.
fn shared_config() -> Result<&'static rustls::ClientConfig, String> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            init();
            let provider = rustls::crypto::CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| format!("the system's CA certificates: {e}"))?;
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Ok(config)
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::time::Duration;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    #[test]
    fn init_is_idempotent_and_leaves_a_provider() {
        super::init();
        super::init();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    /// A TLS server on loopback with a self-signed certificate for
    /// 127.0.0.1 (`tests/data/tls/`): it answers one handshake and reports
    /// the protocol it chose from the client's ALPN offer.
    fn untrusted_server() -> (u16, std::thread::JoinHandle<Option<Vec<u8>>>) {
        super::init();
        let certs = vec![
            CertificateDer::from_pem_slice(include_bytes!(
                "../tests/data/tls/self-signed-cert.pem"
            ))
            .unwrap(),
        ];
        let key =
            PrivateKeyDer::from_pem_slice(include_bytes!("../tests/data/tls/self-signed-key.pem"))
                .unwrap();
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            // Until the client gives up on the certificate and hangs up.
            while conn
                .complete_io(&mut socket)
                .is_ok_and(|(read, _)| read > 0)
            {}
            conn.alpn_protocol().map(<[u8]>::to_vec)
        });
        (port, server)
    }

    #[tokio::test]
    async fn every_client_verifies_certificates_and_offers_h2() {
        let Ok(first) = super::shared_config() else {
            // A machine without a CA bundle gets this error for every
            // client, never a client that trusts nothing or everything.
            let err = super::client(Duration::from_secs(1)).unwrap_err();
            assert!(err.contains("CA certificates"), "{err}");
            return;
        };
        assert!(std::ptr::eq(first, super::shared_config().unwrap()));
        for timeout in [5, 6] {
            let (port, server) = untrusted_server();
            let client = super::client(Duration::from_secs(timeout)).unwrap();
            let err = client
                .get(format!("https://127.0.0.1:{port}/"))
                .send()
                .await
                .expect_err("a self-signed certificate must be refused");
            let mut chain = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(e) = source {
                chain.push_str(&format!(": {e}"));
                source = e.source();
            }
            assert!(chain.contains("invalid peer certificate"), "{chain}");
            assert_eq!(server.join().unwrap().as_deref(), Some(&b"h2"[..]));
        }
    }
}
