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

    // A derived key (no explicit key) dedupes the same trigger too (another
    // account: this one's email play is now in its cooldown).
    let mut other = brief.clone();
    other.account_id = "derived-key-account".into();
    let mut req = pb::GenerateRequest {
        brief: Some(pb_brief(&other)),
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

/// Cooldowns per play: the same account and trigger kind asking again for a
/// channel inside the cooldown is suppressed, naming the earlier draft, and
/// nothing is generated or stored. Another channel is a new touch.
#[tokio::test]
async fn repeat_inside_the_cooldown_is_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let brief = example_briefs()[0].1.clone();
    let email = |b: &proofline::model::AccountBrief| pb::GenerateRequest {
        brief: Some(pb_brief(b)),
        channels: vec![pb::Channel::Email as i32],
        ..Default::default()
    };
    let first = client.generate(email(&brief)).await.unwrap().into_inner();
    assert!(first.suppressed.is_none());
    // A later trigger of the same kind: a new idempotency key, same play.
    let mut again = brief.clone();
    again.trigger.occurred_on = "2026-11-30".into();
    let stored = server.engine.store().draft_count();
    let second = client.generate(email(&again)).await.unwrap().into_inner();
    let s = second.suppressed.expect("suppressed inside the cooldown");
    assert!(second.drafts.is_empty());
    assert_eq!(s.earlier_draft_ids, vec![first.drafts[0].draft_id.clone()]);
    assert!(
        s.reason.contains("email") && s.reason.contains("cooldown"),
        "{}",
        s.reason
    );
    assert!(!s.until.is_empty());
    assert_eq!(
        server.engine.store().draft_count(),
        stored,
        "nothing stored"
    );
    // The same play on another channel goes ahead.
    let mut note = email(&again);
    note.channels = vec![pb::Channel::LinkedinConnection as i32];
    let third = client.generate(note).await.unwrap().into_inner();
    assert!(third.suppressed.is_none());
    assert_eq!(third.drafts.len(), 1);
    server.stop().await;
}
