//! TLS for both ports (`[server.tls]`): the PEM files are read and checked
//! once at startup, then serve gRPC (tonic's rustls acceptor) and HTTP
//! ([`TlsListener`], a tokio-rustls acceptor under `axum::serve`). rustls
//! with the `ring` provider only.
//!
//! Every load error names the setting and the path, e.g.
//! `server.tls.cert_path: cannot read '/etc/proofline/cert.pem': No such file or directory`.

use crate::config::TlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A loaded, checked certificate and key.
pub struct Tls {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    http: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

/// Reads a file named by `setting`; the error names both.
fn read(setting: &str, path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{setting}: cannot read '{}': {e}", path.display()))
}

pub(crate) fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Tls {
    /// `None` when `[server.tls]` is unset (plaintext); every problem
    /// otherwise, each naming its setting and path.
    pub fn load(cfg: &TlsConfig) -> Result<Option<Tls>, Vec<String>> {
        if !cfg.is_enabled() {
            return Ok(None);
        }
        let (cert_set, key_set) = ("server.tls.cert_path", "server.tls.key_path");
        let mut problems = Vec::new();
        for (setting, path) in [(cert_set, &cfg.cert_path), (key_set, &cfg.key_path)] {
            if path.as_os_str().is_empty() {
                problems.push(format!("{setting}: required when [server.tls] is set"));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let cert_pem = read(cert_set, &cfg.cert_path);
        let key_pem = read(key_set, &cfg.key_path);
        let certs = cert_pem.as_ref().ok().map(|pem| {
            CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    format!(
                        "{cert_set}: '{}' is not a valid PEM certificate chain: {e}",
                        cfg.cert_path.display()
                    )
                })
                .and_then(|c| {
                    if c.is_empty() {
                        Err(format!(
                            "{cert_set}: '{}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                            cfg.cert_path.display()
                        ))
                    } else {
                        Ok(c)
                    }
                })
        });
        let key = key_pem.as_ref().ok().map(|pem| {
            PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
                format!(
                    "{key_set}: '{}' holds no usable PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
                    cfg.key_path.display()
                )
            })
        });
        for r in [cert_pem.as_ref().err(), key_pem.as_ref().err()]
            .into_iter()
            .flatten()
        {
            problems.push(r.clone());
        }
        if let Some(Err(e)) = &certs {
            problems.push(e.clone());
        }
        if let Some(Err(e)) = &key {
            problems.push(e.clone());
        }
        let (Ok(cert_pem), Ok(key_pem), Some(Ok(certs)), Some(Ok(key))) =
            (cert_pem, key_pem, certs, key)
        else {
            return Err(problems);
        };
        let mut http = rustls::ServerConfig::builder_with_provider(ring())
            .with_safe_default_protocol_versions()
            .map_err(|e| vec![format!("server.tls: {e}")])?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| {
                vec![format!(
                    "server.tls: the key in '{}' does not fit the certificate in '{}': {e}",
                    cfg.key_path.display(),
                    cfg.cert_path.display()
                )]
            })?;
        // axum serves HTTP/1.1 only (no http2 feature).
        http.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Tls {
            cert_pem,
            key_pem,
            http: Arc::new(http),
        }))
    }

    /// For `tonic::transport::Server::tls_config` (ALPN h2, ring).
    pub fn grpc(&self) -> tonic::transport::ServerTlsConfig {
        tonic::transport::ServerTlsConfig::new()
            .identity(tonic::transport::Identity::from_pem(
                &self.cert_pem,
                &self.key_pem,
            ))
            .timeout(HANDSHAKE_TIMEOUT)
    }

    /// The HTTP port's listener: TLS handshakes run concurrently in the
    /// background, `accept` hands out finished connections.
    pub fn http_listener(&self, listener: TcpListener) -> std::io::Result<TlsListener> {
        TlsListener::new(listener, TlsAcceptor::from(self.http.clone()))
    }
}

/// An `axum::serve` listener over TLS. Dropping it (graceful shutdown)
/// stops accepting and closes the port.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsListener {
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(accept_loop(listener, acceptor, tx));
        Ok(TlsListener { rx, local, task })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    // In-flight handshakes; aborted when this loop ends.
    let mut handshakes = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            Some(_) = handshakes.join_next(), if !handshakes.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let (acceptor, tx) = (acceptor.clone(), tx.clone());
                    handshakes.spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => {
                                let _ = tx.send((tls, peer)).await;
                            }
                            Ok(Err(e)) => tracing::debug!(%peer, error = %e, "https: TLS handshake failed"),
                            Err(_) => tracing::debug!(%peer, "https: TLS handshake timed out"),
                        }
                    });
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // e.g. too many open files: back off as axum does.
                    tracing::error!(error = %e, "https: accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_is_plaintext_and_errors_name_setting_and_path() {
        assert!(Tls::load(&TlsConfig::default()).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let cfg = TlsConfig {
            cert_path: dir.path().join("missing-cert.pem"),
            key_path: dir.path().join("missing-key.pem"),
        };
        let errs = Tls::load(&cfg).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].starts_with("server.tls.cert_path: cannot read '"));
        assert!(errs[0].contains("missing-cert.pem"), "{errs:?}");
        assert!(errs[1].starts_with("server.tls.key_path: cannot read '"));

        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, "not a certificate\n").unwrap();
        std::fs::write(&key, "not a key\n").unwrap();
        let errs = Tls::load(&TlsConfig {
            cert_path: cert.clone(),
            key_path: key,
        })
        .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].starts_with("server.tls.cert_path: '")
                && errs[0].contains("no PEM certificate"),
            "{errs:?}"
        );
        assert!(errs[1].starts_with("server.tls.key_path: '"), "{errs:?}");
    }
}
