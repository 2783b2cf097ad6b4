//! The gRPC edge: the only module that knows protobuf. One file per service;
//! handlers convert, call the engine and convert back.

pub mod convert;
pub mod library;
pub mod outcomes;
pub mod pb;
pub mod personalization;
pub mod review;
mod status;

use crate::engine::Engine;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Request;
use tonic::transport::Server;

/// The tenant a request acts for. Until authentication lands every caller is
/// the default tenant.
pub fn tenant_of<T>(_req: &Request<T>) -> String {
    "default".to_string()
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
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    reloader: Arc<crate::app::Reloader>,
    batch_concurrency: usize,
    desk: Arc<crate::review::Desk>,
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
    Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(pb::personalization_server::PersonalizationServer::new(
            personalization,
        ))
        .add_service(pb::outcomes_server::OutcomesServer::new(outcomes))
        .add_service(pb::review_server::ReviewServer::new(
            review::ReviewService { desk },
        ))
        .add_service(pb::library_server::LibraryServer::new(
            library::LibraryService { reloader },
        ))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

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
