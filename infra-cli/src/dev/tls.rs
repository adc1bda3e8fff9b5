//! The viewer-side TLS: a local development CA kept in the user's cache directory (created on
//! first use, reused after) issues a fresh leaf certificate at every start for `localhost`,
//! `127.0.0.1`, `::1` and the `--tls-name`s. A user trusts the CA once (curl `--cacert`, the
//! canary's `ca_file`, a browser) instead of a certificate that changes at every start.
//!
//! The CA key is written once with mode 0600 and never leaves the directory: only the CA
//! certificate's path is ever printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA certificate's file name in the cache directory (what users trust).
pub const CA_CERT_FILE: &str = "dev-ca.pem";
/// The CA key's file name in the cache directory (mode 0600, never printed).
pub const CA_KEY_FILE: &str = "dev-ca-key.pem";
/// The CA's common name: fixed, so that a reloaded key signs with the same issuer name.
const CA_NAME: &str = "edgekit development CA";

/// Why the development CA could not be created, read or used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CaError {
    #[error("cannot {action} the development CA in {}", dir.display())]
    #[diagnostic(help(
        "set EDGEKIT_CACHE_DIR to a writable directory, or remove {} to create a new CA",
        dir.display()
    ))]
    Io {
        action: &'static str,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the development CA in {} is unusable: {reason}", dir.display())]
    #[diagnostic(help(
        "remove {} to create a new CA (then trust the new one)",
        dir.display()
    ))]
    Invalid { dir: PathBuf, reason: String },
    #[error("could not issue the development certificate: {0}")]
    Issue(String),
    #[error(
        "no cache directory for the development CA: none of EDGEKIT_CACHE_DIR, XDG_CACHE_HOME, HOME is set"
    )]
    #[diagnostic(help("set EDGEKIT_CACHE_DIR to a directory of your own"))]
    NoCacheDir,
}

/// The development CA: its certificate (public) and where it lives.
pub struct DevCa {
    pub cert_path: PathBuf,
    /// True when this call created it (the moment to say how to trust it).
    pub created: bool,
    issuer: Issuer<'static, KeyPair>,
}

/// The certificate in use and the CA file a client trusts.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// The CA certificate's PEM file (the path to give curl `--cacert` or a canary `ca_file`).
    pub cert_path: PathBuf,
}

/// The CA's parameters, identical at every start so a reloaded key issues under the same
/// issuer name and key identifier as the stored certificate.
fn ca_params() -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|err| CaError::Issue(err.to_string()))?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "edgekit dev");
    Ok(params)
}

/// Loads the CA from `dir`, or creates it there on first use.
pub fn load_or_create(dir: &Path) -> Result<DevCa, CaError> {
    let io = |action: &'static str| {
        let dir = dir.to_path_buf();
        move |source| CaError::Io {
            action,
            dir,
            source,
        }
    };
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    if cert_path.is_file() && key_path.is_file() {
        let pem = std::fs::read_to_string(&key_path).map_err(io("read"))?;
        let key = KeyPair::from_pem(&pem).map_err(|err| CaError::Invalid {
            dir: dir.to_path_buf(),
            reason: format!("{CA_KEY_FILE}: {err}"),
        })?;
        return Ok(DevCa {
            cert_path,
            created: false,
            issuer: Issuer::new(ca_params()?, key),
        });
    }
    std::fs::create_dir_all(dir).map_err(io("create"))?;
    let key = KeyPair::generate().map_err(|err| CaError::Issue(err.to_string()))?;
    let params = ca_params()?;
    let cert = params
        .self_signed(&key)
        .map_err(|err| CaError::Issue(err.to_string()))?;
    // The key first, created owner-only: it is never readable by others, even briefly.
    write_private(&key_path, key.serialize_pem().as_bytes()).map_err(io("write"))?;
    std::fs::write(&cert_path, cert.pem()).map_err(io("write"))?;
    Ok(DevCa {
        cert_path,
        created: true,
        issuer: Issuer::new(params, key),
    })
}

/// Creates `path` with mode 0600 (on Unix) and writes `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Issues this start's leaf certificate from the development CA in `ca_dir` (created there
/// on first use) for `extra_names` plus localhost and loopback.
pub fn from_dev_ca(ca_dir: &Path, extra_names: &[String]) -> Result<Tls, CaError> {
    let ca = load_or_create(ca_dir)?;
    if ca.created {
        crate::output::note(&format!(
            "edgekit dev: created a local development CA in {} (its key stays there); trust {} once",
            ca_dir.display(),
            ca.cert_path.display()
        ));
    }
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
    let issue = |err: rcgen::Error| CaError::Issue(err.to_string());
    let key = KeyPair::generate().map_err(issue)?;
    let mut params = CertificateParams::new(names).map_err(issue)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "edgekit dev");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let leaf = params.signed_by(&key, &ca.issuer).map_err(issue)?;
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok(Tls {
        config: Arc::new(server_config(chain, key)?),
        cert_path: ca.cert_path,
    })
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<rustls::ServerConfig, CaError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| CaError::Issue(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| CaError::Issue(err.to_string()))?;
    // CloudFront serves viewers over HTTP/2, HTTP/1.1 and HTTP/1.0 [CloudFront Developer
    // Guide, "Supported HTTP versions": viewers without HTTP/2 "automatically use an earlier
    // HTTP version"]. rustls refuses a handshake whose ALPN offer shares nothing with this
    // list, so a client offering only `http/1.0` must find it here.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_ca_is_created_once_then_reused_with_a_private_key() {
        let dir = std::env::temp_dir().join(format!("edgekit-ca-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = load_or_create(&dir).unwrap();
        assert!(first.created);
        let pem = std::fs::read_to_string(&first.cert_path).unwrap();
        let second = load_or_create(&dir).unwrap();
        assert!(!second.created);
        assert_eq!(std::fs::read_to_string(&second.cert_path).unwrap(), pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(from_dev_ca(&dir, &["dev.example".into()]).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
