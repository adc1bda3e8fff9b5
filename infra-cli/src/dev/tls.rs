//! The viewer-side TLS: a self-signed certificate generated at start (rcgen) for
//! `localhost`, `127.0.0.1` and `::1`, written as PEM so a user can trust it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::DevError;

/// The certificate in use and where its PEM was written.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub cert_path: PathBuf,
}

/// Generates the certificate for `names` (plus localhost/loopback) and writes
/// `edgekit-dev-cert.pem` into `dir`.
pub fn self_signed(dir: &Path, extra_names: &[String]) -> Result<Tls, DevError> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    for name in extra_names {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|err| DevError::Certificate(err.to_string()))?;
    let cert_path = dir.join("edgekit-dev-cert.pem");
    std::fs::write(&cert_path, certified.cert.pem())?;
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| DevError::Certificate(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|err| DevError::Certificate(err.to_string()))?;
    // CloudFront serves viewers over HTTP/2, HTTP/1.1 and HTTP/1.0 [CloudFront Developer
    // Guide, "Supported HTTP versions": viewers without HTTP/2 "automatically use an earlier
    // HTTP version"]. rustls refuses a handshake whose ALPN offer shares nothing with this
    // list, so a client offering only `http/1.0` must find it here.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        cert_path,
    })
}
