//! The gRPC edge: the only module that knows protobuf. One file per service;
//! handlers convert, call the engine and convert back.

pub mod admin;
pub mod convert;
pub mod library;
pub mod outcomes;
pub mod pb;
pub mod personalization;
pub mod review;
mod status;

use crate::auth::{AuthError, Authenticator, Principal, Scope};
use crate::engine::Engine;
use crate::store::{AuditRecord, Store};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic::{Request, Status};

/// Attaches the caller's authentication outcome to every request of the
/// proofline services (health and reflection stay open). Handlers then call
/// [`authorize`] first; a request that never passed here is refused.
#[derive(Clone)]
pub struct AuthInterceptor {
    auth: Arc<Authenticator>,
    failures: Option<Arc<FailureAudit>>,
}

impl AuthInterceptor {
    pub fn new(auth: Arc<Authenticator>, store: Option<Store>) -> AuthInterceptor {
        AuthInterceptor {
            auth,
            failures: store.map(|s| Arc::new(FailureAudit::new(s))),
        }
    }
}

/// Auth failures recorded in the audit log, at most [`FailureAudit::PER_MINUTE`]
/// a minute: a caller hammering the port with bad tokens must not grow the
/// log without bound. Failures beyond the limit are counted and recorded as
/// one `auth_failure_suppressed` entry when the next window opens.
pub(crate) struct FailureAudit {
    store: Store,
    length: Duration,
    window: std::sync::Mutex<FailureWindow>,
}

struct FailureWindow {
    started: std::time::Instant,
    recorded: u32,
    suppressed: u64,
}

impl FailureAudit {
    pub(crate) const PER_MINUTE: u32 = 60;

    pub(crate) fn new(store: Store) -> FailureAudit {
        FailureAudit {
            store,
            length: Duration::from_secs(60),
            window: std::sync::Mutex::new(FailureWindow {
                started: std::time::Instant::now(),
                recorded: 0,
                suppressed: 0,
            }),
        }
    }

    /// The entries to write for one failure (none when over the limit).
    fn admit(&self, rec: AuditRecord) -> Vec<AuditRecord> {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        if w.started.elapsed() >= self.length {
            if w.suppressed > 0 {
                out.push(AuditRecord::new(
                    "",
                    "anonymous",
                    "auth_failure_suppressed",
                    "",
                    serde_json::json!({ "count": w.suppressed, "limit_per_minute": Self::PER_MINUTE }),
                ));
            }
            *w = FailureWindow {
                started: std::time::Instant::now(),
                recorded: 0,
                suppressed: 0,
            };
        }
        if w.recorded < Self::PER_MINUTE {
            w.recorded += 1;
            out.push(rec);
        } else {
            w.suppressed += 1;
        }
        out
    }
}

#[derive(Clone)]
struct Authn {
    outcome: Result<Principal, AuthError>,
    ctx: AuthInterceptor,
}

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        let header = req
            .metadata()
            .get("authorization")
            .map(|v| v.to_str().unwrap_or("").to_string());
        let outcome = self.auth.authenticate(header.as_deref());
        req.extensions_mut().insert(Authn {
            outcome,
            ctx: self.clone(),
        });
        Ok(req)
    }
}

/// Client side: a channel to a Proofline server for the CLI's `--server`
/// commands. `https://` URLs use TLS and trust the public web PKI roots plus
/// the PEM certificate(s) in `$PROOFLINE_CA_CERT` (a private CA or a
/// self-signed server certificate).
pub async fn connect(url: &str) -> anyhow::Result<tonic::transport::Channel> {
    use anyhow::Context;
    let mut endpoint = tonic::transport::Channel::from_shared(url.to_string())
        .with_context(|| format!("--server: '{url}' is not a URL"))?;
    if url.starts_with("https://") {
        let mut tls = tonic::transport::ClientTlsConfig::new().with_webpki_roots();
        if let Ok(path) = std::env::var("PROOFLINE_CA_CERT")
            && !path.trim().is_empty()
        {
            let pem = std::fs::read(path.trim())
                .with_context(|| format!("PROOFLINE_CA_CERT: cannot read '{}'", path.trim()))?;
            tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
        }
        endpoint = endpoint.tls_config(tls)?;
    }
    endpoint
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// Client side: sends `authorization: Bearer <token>` on every call (the CLI,
/// tests and tools). An empty token sends nothing.
#[derive(Clone)]
pub struct Bearer(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    pub fn new(token: &str) -> Bearer {
        Bearer(if token.is_empty() {
            None
        } else {
            format!("Bearer {token}").parse().ok()
        })
    }

    /// `$PROOFLINE_TOKEN`, else the dev token (a server in dev mode).
    pub fn from_env() -> Bearer {
        match std::env::var("PROOFLINE_TOKEN") {
            Ok(t) if !t.trim().is_empty() => Bearer::new(t.trim()),
            _ => Bearer::new(crate::auth::DEV_TOKEN),
        }
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// The status for an authentication or permission failure.
pub fn auth_status(e: &AuthError) -> Status {
    if e.is_forbidden() {
        Status::permission_denied(e.to_string())
    } else {
        Status::unauthenticated(e.to_string())
    }
}

/// Record an auth failure in the audit log (best effort: the caller is
/// refused either way).
pub(crate) fn audit_auth_failure(log: Option<&Arc<FailureAudit>>, e: &AuthError, needed: &str) {
    let Some(log) = log else { return };
    let (actor, tenant) = match e {
        AuthError::Forbidden { client, .. } => (client.clone(), String::new()),
        _ => ("anonymous".to_string(), String::new()),
    };
    let rec = AuditRecord::new(
        &tenant,
        &actor,
        "auth_failure",
        needed,
        serde_json::json!({ "reason": e.to_string() }),
    );
    let records = log.admit(rec);
    if records.is_empty() {
        return;
    }
    let store = log.store.clone();
    tokio::spawn(async move {
        for rec in records {
            if let Err(err) = store.audit_buffered(rec).await {
                tracing::error!(error = %err, "audit: could not record an auth failure");
            }
        }
    });
}

/// The caller, authenticated and holding `scope`: every proofline RPC calls
/// this first and acts only for `Principal::tenant`. Missing or bad token →
/// UNAUTHENTICATED; wrong scope → PERMISSION_DENIED.
pub fn authorize<T>(req: &Request<T>, scope: Scope) -> Result<Principal, Status> {
    authorize_any(req, &[scope])
}

/// As [`authorize`], with any one of `scopes` (none: any authenticated caller).
pub fn authorize_any<T>(req: &Request<T>, scopes: &[Scope]) -> Result<Principal, Status> {
    let Some(a) = req.extensions().get::<Authn>() else {
        return Err(Status::unauthenticated(
            "no authentication on this service (server misconfiguration)",
        ));
    };
    let needed = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    let result = match &a.outcome {
        Err(e) => Err(e.clone()),
        Ok(p) if scopes.is_empty() || scopes.iter().any(|s| p.has(*s)) => Ok(p.clone()),
        Ok(p) => Err(AuthError::Forbidden {
            client: p.client.clone(),
            needed: needed.clone(),
        }),
    };
    result.map_err(|e| {
        audit_auth_failure(a.ctx.failures.as_ref(), &e, &needed);
        auth_status(&e)
    })
}

/// The caller's deadline, from the `grpc-timeout` header.
pub fn deadline_of<T>(req: &Request<T>) -> Option<tokio::time::Instant> {
    let raw = req.metadata().get("grpc-timeout")?.to_str().ok()?;
    let timeout = parse_grpc_timeout(raw)?;
    // Stop a little before the caller does, so that our DEADLINE_EXCEEDED
    // (and nothing half-done) reaches them rather than their own timer firing.
    let margin = (timeout / 10).min(Duration::from_millis(50));
    Some(tokio::time::Instant::now() + timeout.saturating_sub(margin))
}

/// `grpc-timeout` is an integer of at most 8 digits and a unit letter.
pub fn parse_grpc_timeout(raw: &str) -> Option<Duration> {
    let (num, unit) = raw.split_at(raw.len().checked_sub(1)?);
    if num.is_empty() || num.len() > 8 {
        return None;
    }
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Serve every gRPC service on `listener` until `shutdown` resolves; in-flight
/// calls are drained before this returns.
#[allow(clippy::too_many_arguments)] // the server's parts; one caller, app::run
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    reloader: Arc<crate::app::Reloader>,
    batch_concurrency: usize,
    desk: Arc<crate::review::Desk>,
    auth: Arc<Authenticator>,
    tls: Option<tonic::transport::ServerTlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<pb::personalization_server::PersonalizationServer<personalization::PersonalizationService>>()
        .await;
    health_reporter
        .set_serving::<pb::review_server::ReviewServer<review::ReviewService>>()
        .await;
    health_reporter
        .set_serving::<pb::library_server::LibraryServer<library::LibraryService>>()
        .await;
    health_reporter
        .set_serving::<pb::admin_server::AdminServer<admin::AdminService>>()
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("descriptor sets are valid");
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .expect("descriptor sets are valid");
    let personalization = personalization::PersonalizationService {
        engine: engine.clone(),
        batch_concurrency: batch_concurrency.max(1),
    };
    // Outcomes (issue 7).
    let outcomes = outcomes::OutcomesService {
        ledger: crate::outcomes::Ledger::new(engine.store().clone(), engine.experiments()),
    };
    health_reporter
        .set_serving::<pb::outcomes_server::OutcomesServer<outcomes::OutcomesService>>()
        .await;
    let intercept = AuthInterceptor::new(auth, Some(engine.store().clone()));
    // `[server.tls]`: TLS on the same listener (tonic's rustls acceptor, ring).
    let mut builder = match tls {
        Some(tls) => Server::builder().tls_config(tls)?,
        None => Server::builder(),
    };
    builder
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            pb::personalization_server::PersonalizationServer::with_interceptor(
                personalization,
                intercept.clone(),
            ),
        )
        .add_service(pb::outcomes_server::OutcomesServer::with_interceptor(
            outcomes,
            intercept.clone(),
        ))
        .add_service(pb::review_server::ReviewServer::with_interceptor(
            review::ReviewService { desk },
            intercept.clone(),
        ))
        .add_service(pb::admin_server::AdminServer::with_interceptor(
            admin::AdminService {
                store: engine.store().clone(),
            },
            intercept.clone(),
        ))
        .add_service(pb::library_server::LibraryServer::with_interceptor(
            library::LibraryService { reloader },
            intercept,
        ))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn auth_failures_are_audited_at_a_bounded_rate() {
        let mut log = FailureAudit::new(Store::temporary().unwrap());
        log.length = Duration::from_millis(200);
        let rec = || {
            AuditRecord::new(
                "",
                "anonymous",
                "auth_failure",
                "generate",
                serde_json::json!({}),
            )
        };
        let admitted: usize = (0..100).map(|_| log.admit(rec()).len()).sum();
        assert_eq!(admitted, FailureAudit::PER_MINUTE as usize);
        std::thread::sleep(Duration::from_millis(250));
        // The next window opens with a summary of what was left out.
        let next = log.admit(rec());
        assert_eq!(next.len(), 2);
        assert_eq!(next[0].action, "auth_failure_suppressed");
        assert_eq!(
            next[0].details["count"],
            100 - FailureAudit::PER_MINUTE as u64
        );
        assert_eq!(next[1].action, "auth_failure");
        assert_eq!(log.admit(rec()).len(), 1);
    }

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout(""), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
    }
}
