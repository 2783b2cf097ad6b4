//! Idempotency under concurrency: the same key sent 50 times at once produces
//! one generation, and every caller gets the same drafts.

mod common;

use common::*;
use proofline::grpc::pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_one_generation() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let client = server.client().await;
    let brief = example_briefs()[0].1.clone();
    let calls = (0..50).map(|_| {
        let mut client = client.clone();
        let req = pb::GenerateRequest {
            brief: Some(pb_brief(&brief)),
            idempotency_key: "same-key".into(),
            channels: vec![pb::Channel::Email as i32, pb::Channel::CallScript as i32],
            ..Default::default()
        };
        async move { client.generate(req).await.unwrap().into_inner() }
    });
    let responses = futures::future::join_all(calls).await;
    let first: Vec<_> = responses[0]
        .drafts
        .iter()
        .map(|d| d.draft_id.clone())
        .collect();
    assert_eq!(first.len(), 2);
    for r in &responses {
        let ids: Vec<_> = r.drafts.iter().map(|d| d.draft_id.clone()).collect();
        assert_eq!(ids, first);
    }
    assert_eq!(
        responses.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one call generated"
    );
    assert_eq!(
        server.engine.store().draft_count(),
        2,
        "one generation stored"
    );

    // A derived key (no explicit key) dedupes the same trigger too.
    let mut req = pb::GenerateRequest {
        brief: Some(pb_brief(&brief)),
        channels: vec![pb::Channel::Email as i32],
        ..Default::default()
    };
    let mut c = client.clone();
    let a = c.generate(req.clone()).await.unwrap().into_inner();
    req.request_id = "another".into();
    let b = c.generate(req).await.unwrap().into_inner();
    assert!(b.replayed);
    assert_eq!(a.drafts[0].draft_id, b.drafts[0].draft_id);
    server.stop().await;
}
