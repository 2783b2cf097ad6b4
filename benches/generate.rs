//! Generate over gRPC on loopback with the offline composer and durable
//! (flushed) writes: drafts per second, one caller and 16 concurrent callers.
//!
//! Run: `cargo bench --bench generate`. Each request asks for all five
//! channels under a fresh idempotency key, so every iteration generates,
//! checks, routes and flushes five drafts.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proofline::app::RunningServer;
use proofline::config::Config;
use proofline::grpc::convert::brief_to_pb;
use proofline::grpc::pb;
use proofline::grpc::pb::personalization_client::PersonalizationClient;
use proofline::model::AccountBrief;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn example_brief() -> AccountBrief {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/briefs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    serde_json::from_str(&std::fs::read_to_string(&paths[0]).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.server.grpc_addr = "127.0.0.1:0".into();
    cfg.server.http_addr = "127.0.0.1:0".into();
    cfg.server.library = env!("CARGO_MANIFEST_DIR").into();
    cfg.server.data_dir = data.path().to_path_buf();
    let server = rt.block_on(RunningServer::start(&cfg)).unwrap();
    let client = rt.block_on(async {
        let ch = tonic::transport::Channel::from_shared(format!("http://{}", server.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap();
        PersonalizationClient::with_interceptor(
            ch,
            proofline::grpc::Bearer::new(proofline::auth::DEV_TOKEN),
        )
    });
    let brief = brief_to_pb(&example_brief());
    let counter = AtomicU64::new(0);
    let request = |key: u64| pb::GenerateRequest {
        brief: Some(brief.clone()),
        idempotency_key: format!("bench-{key}"),
        ..Default::default()
    };

    let mut group = c.benchmark_group("generate_grpc");
    group.throughput(Throughput::Elements(5));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("five_channels_sequential", |b| {
        b.to_async(&rt).iter(|| {
            let mut client = client.clone();
            let req = request(counter.fetch_add(1, Ordering::Relaxed));
            async move { client.generate(req).await.unwrap() }
        })
    });
    group.throughput(Throughput::Elements(5 * 16));
    group.bench_function("five_channels_16_concurrent", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let client = client.clone();
            let base = counter.fetch_add(iters * 16, Ordering::Relaxed);
            let brief = brief.clone();
            async move {
                let start = Instant::now();
                for i in 0..iters {
                    let calls = (0..16).map(|j| {
                        let mut client = client.clone();
                        let req = pb::GenerateRequest {
                            brief: Some(brief.clone()),
                            idempotency_key: format!("bench-c-{}", base + i * 16 + j),
                            ..Default::default()
                        };
                        async move { client.generate(req).await.unwrap() }
                    });
                    futures::future::join_all(calls).await;
                }
                start.elapsed()
            }
        })
    });
    group.finish();
    rt.block_on(server.stop()).unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
