//! TLS set-up for the HTTP client.
//!
//! reqwest is built with `rustls-no-provider` (ring, not aws-lc: a smaller
//! binary and no C toolchain for the build), so the process must install
//! rustls's crypto provider once before the first `https://` request.

/// Installs the ring crypto provider as the process default; safe to call
/// any number of times from anywhere.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn init_is_idempotent_and_leaves_a_provider() {
        super::init();
        super::init();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
