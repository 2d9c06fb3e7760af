//! TLS with rustls: TLS 1.2 and 1.3 only, a certificate pair reloaded from disk when it
//! changes (cert-manager rotation), and a bad new pair never replacing a good one.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::state::State;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Pem { path: String, message: String },
    #[error("{path} holds no certificate")]
    NoCertificate { path: String },
    #[error("the key does not fit the certificate: {0}")]
    Mismatch(rustls::Error),
    #[error("cannot set up TLS: {0}")]
    Config(rustls::Error),
    #[error("cannot generate a self-signed certificate: {0}")]
    SelfSigned(String),
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Where the serving certificate and key live.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The pair's bytes, to tell whether the files changed.
#[derive(Clone, PartialEq, Eq)]
struct Fingerprint(Vec<u8>, Vec<u8>);

impl CertFiles {
    fn read(&self) -> Result<Fingerprint, TlsError> {
        let read =
            |p: &Path| std::fs::read(p).map_err(|source| TlsError::Read { path: p.display().to_string(), source });
        Ok(Fingerprint(read(&self.cert)?, read(&self.key)?))
    }

    /// Loads and checks the pair.
    pub fn load(&self) -> Result<CertifiedKey, TlsError> {
        let fp = self.read()?;
        self.parse(&fp)
    }

    fn parse(&self, fp: &Fingerprint) -> Result<CertifiedKey, TlsError> {
        let cert_path = self.cert.display().to_string();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&fp.0)
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::Pem { path: cert_path.clone(), message: e.to_string() })?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate { path: cert_path });
        }
        let key = PrivateKeyDer::from_pem_slice(&fp.1)
            .map_err(|e| TlsError::Pem { path: self.key.display().to_string(), message: e.to_string() })?;
        CertifiedKey::from_der(certs, key, &provider()).map_err(TlsError::Mismatch)
    }
}

/// Serves whichever certificate was loaded last.
pub struct Reloading {
    current: ArcSwap<CertifiedKey>,
}

impl fmt::Debug for Reloading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reloading")
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

impl Reloading {
    pub fn new(initial: CertifiedKey) -> Arc<Self> {
        Arc::new(Reloading { current: ArcSwap::from_pointee(initial) })
    }
}

/// A server configuration with TLS 1.2 and 1.3 only, offering HTTP/2 and HTTP/1.1.
pub fn server_config(resolver: Arc<Reloading>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // No session resumption: a client resuming an old session would skip the rotated
    // certificate. The API server keeps its connections alive, so full handshakes are rare.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Polls the files and swaps in a new pair when they changed and the new pair is valid.
/// A pair that is half-written or mismatched is logged and retried on the next change;
/// the old one keeps serving.
pub async fn watch(files: CertFiles, resolver: Arc<Reloading>, state: Arc<State>, every: Duration) {
    let mut last = files.read().ok();
    loop {
        tokio::time::sleep(every).await;
        let Ok(now) = files.read() else {
            continue;
        };
        if last.as_ref() == Some(&now) {
            continue;
        }
        match files.parse(&now) {
            Ok(pair) => {
                resolver.current.store(Arc::new(pair));
                state.readiness.certificates.store(true, Ordering::Release);
                tracing::info!(cert = %files.cert.display(), "serving certificate reloaded");
            }
            Err(e) => {
                state.metrics.error("tls_reload");
                tracing::error!(error = %e, "new certificate pair rejected; still serving the previous one");
            }
        }
        last = Some(now);
    }
}

/// Writes a throwaway CA-less self-signed pair for localhost into `dir`. For local use only.
pub fn self_signed(dir: &Path) -> Result<CertFiles, TlsError> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::SelfSigned(e.to_string()))?;
    let files = CertFiles { cert: dir.join("tls.crt"), key: dir.join("tls.key") };
    let write = |p: &Path, s: String| {
        std::fs::write(p, s).map_err(|source| TlsError::Read { path: p.display().to_string(), source })
    };
    write(&files.cert, certified.cert.pem())?;
    write(&files.key, certified.signing_key.serialize_pem())?;
    Ok(files)
}
