//! The Review service end to end: real server on 127.0.0.1:0, real tonic
//! client, real sled store. Flagged drafts are seeded through the store with
//! known findings, so these tests do not depend on what the checks find.

mod common;
mod review_support;

use common::pb_brief;
use proofline::grpc::pb;
use proofline::grpc::pb::personalization_client::PersonalizationClient;
use proofline::model::{Channel, CheckKind};
use review_support::*;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Code;

const ROI: &str = "We guarantee a 40% cut in audit prep time for Ashgrove.";

fn list(req: pb::ListQueueRequest) -> pb::ListQueueRequest {
    req
}

fn ids(r: &pb::ListQueueResponse) -> Vec<String> {
    r.items.iter().map(|i| i.draft_id.clone()).collect()
}

fn count(counts: &[pb::Count], key: &str) -> u32 {
    counts
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.count)
        .unwrap_or(0)
}

#[tokio::test]
async fn queue_filters_counts_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let merrow = brief("acct-merrow");
    let red = seed(
        &server,
        Seed::new(&ashgrove, ROI).finding(
            "guarantee a 40% cut",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;
    let mut grounded = Seed::new(&merrow, "Merrow runs 14 data centres, we hear.").finding(
        "14 data centres",
        CheckKind::Grounding,
        "unsupported_number",
    );
    grounded.channel = Channel::LinkedinMessage;
    grounded.subject = None;
    let grounded = seed(&server, grounded).await;
    let mut old = Seed::new(&ashgrove, "Hello from an older draft.");
    old.created_at = Some("2026-01-01T00:00:00Z");
    let old = seed(&server, old).await;

    let all = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.total, 3);
    // Oldest first.
    assert_eq!(ids(&all)[0], old.draft_id);
    assert_eq!(count(&all.reason_counts, "tier_1_account"), 3);
    assert_eq!(count(&all.reason_counts, "blocking_finding_red_line"), 1);
    assert_eq!(count(&all.check_counts, "grounding"), 1);
    let item = all
        .items
        .iter()
        .find(|i| i.draft_id == red.draft_id)
        .unwrap();
    assert_eq!(item.account_name, ashgrove.account_name);
    assert_eq!(item.tier, 1);
    assert_eq!((item.finding_count, item.blocking_count), (1, 1));
    assert_eq!(item.checks, vec!["red_line".to_string()]);

    let by_check = c
        .list_queue(list(pb::ListQueueRequest {
            check: "red_line".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&by_check), vec![red.draft_id.clone()]);
    // Counts per check ignore the check filter, so the UI can switch.
    assert_eq!(count(&by_check.check_counts, "grounding"), 1);

    let by_reason = c
        .list_queue(pb::ListQueueRequest {
            reason_code: "blocking_finding_grounding".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&by_reason), vec![grounded.draft_id.clone()]);
    assert_eq!(count(&by_reason.reason_counts, "tier_1_account"), 3);

    let by_channel = c
        .list_queue(pb::ListQueueRequest {
            channel: pb::Channel::LinkedinMessage as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&by_channel), vec![grounded.draft_id.clone()]);

    let by_account = c
        .list_queue(pb::ListQueueRequest {
            account_id: "acct-ashgrove".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_account.total, 2);

    let by_tier = c
        .list_queue(pb::ListQueueRequest {
            tier: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_tier.total, 0);

    let by_age = c
        .list_queue(pb::ListQueueRequest {
            min_age_seconds: 86_400,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&by_age), vec![old.draft_id.clone()]);

    // Pages of two: every draft once, in order.
    let first = c
        .list_queue(pb::ListQueueRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.items.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = c
        .list_queue(pb::ListQueueRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_page_token.is_empty());
    let mut paged = ids(&first);
    paged.extend(ids(&second));
    assert_eq!(paged, ids(&all));

    let bad = c
        .list_queue(pb::ListQueueRequest {
            check: "vibes".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn get_draft_shows_findings_variables_versions_and_baseline_diff() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let body = "Café owners aside, we guarantee a 40% cut for Ashgrove.";
    let first = seed(
        &server,
        Seed::new(&ashgrove, body).finding(
            "guarantee a 40% cut",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;

    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: first.draft_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let draft = view.draft.unwrap();
    assert_eq!(draft.status, pb::DraftStatus::PendingReview as i32);
    let f = &draft.findings[0];
    let span = f.span.as_ref().unwrap();
    let text = &draft.text.as_ref().unwrap().body;
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        "guarantee a 40% cut"
    );
    // Char offsets differ from byte offsets after the "é".
    assert_eq!(span.char_start, span.start - 1);
    assert_eq!(view.brief.unwrap().account_name, ashgrove.account_name);
    assert!(
        view.variables
            .iter()
            .any(|v| v.name == "account_name" && v.value == ashgrove.account_name)
    );
    assert!(view.variables.iter().any(|v| v.name == "trigger.kind"));
    assert!(
        view.items
            .iter()
            .any(|i| i.kind == "prompt" && i.id == "prompt.test.email" && i.version == "1.0.0")
    );
    assert!(view.claims.is_empty(), "offline drafts carry no claim log");
    assert!(view.sources.iter().any(|s| s.kind == "proof"));
    assert!(view.reject_reasons.iter().any(|r| r.code == "red_line"));
    assert!(view.baseline.is_none(), "nothing approved yet");

    // Approve it; the next draft from the same prompt version diffs against it.
    c.decide(approve(&first.draft_id, "d-1")).await.unwrap();
    let second = seed(
        &server,
        Seed::new(
            &ashgrove,
            "Café owners aside, we expect a 40% cut for Ashgrove.",
        ),
    )
    .await;
    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: second.draft_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let base = view.baseline.expect("baseline");
    assert_eq!(base.draft_id, first.draft_id);
    let diff = base.diff.unwrap();
    let changed: Vec<(i32, &str)> = diff
        .body
        .iter()
        .filter(|s| s.op != pb::DiffOp::Equal as i32)
        .map(|s| (s.op, s.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            (pb::DiffOp::Delete as i32, "guarantee"),
            (pb::DiffOp::Insert as i32, "expect")
        ]
    );
    // Another prompt version has no baseline.
    let mut other = Seed::new(&ashgrove, "Different prompt.");
    other.prompt = ("prompt.test.email", "2.0.0");
    let other = seed(&server, other).await;
    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: other.draft_id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(view.baseline.is_none());

    let missing = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn approve_releases_once_and_the_draft_is_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let d = seed(
        &server,
        Seed::new(&ashgrove, ROI).finding(
            "guarantee a 40% cut",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;

    let out = c
        .decide(approve(&d.draft_id, "approve-1"))
        .await
        .unwrap()
        .into_inner();
    assert!(!out.replayed);
    let decision = out.decision.unwrap();
    assert_eq!(decision.reviewer, "alice");
    assert!(!decision.decided_at.is_empty());
    assert_eq!(out.draft.unwrap().status, pb::DraftStatus::Approved as i32);

    // Left the queue.
    let q = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(!ids(&q).contains(&d.draft_id));

    // Same decision id again: the first outcome, not a second approval.
    let again = c
        .decide(approve(&d.draft_id, "approve-1"))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.decision.unwrap().decided_at, decision.decided_at);

    // Any other decision on an approved draft is refused.
    let err = c
        .decide(approve(&d.draft_id, "approve-2"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let err = c.decide(reject(&d.draft_id, "red_line")).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // A decision id reused for something else is refused too.
    let mut reuse = reject(&d.draft_id, "red_line");
    reuse.decision_id = "approve-1".into();
    assert_eq!(
        c.decide(reuse).await.unwrap_err().code(),
        Code::AlreadyExists
    );

    // It is on the release stream exactly once, as an approval by alice.
    let mut stream = c
        .watch_decisions(pb::WatchDecisionsRequest { after_seq: 0 })
        .await
        .unwrap()
        .into_inner();
    let ev = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    assert_eq!(ev.kind, pb::ReleaseKind::Approved as i32);
    assert_eq!(ev.reviewer, "alice");
    assert_eq!(ev.decision_id, "approve-1");
    assert_eq!(ev.draft.unwrap().draft_id, d.draft_id);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stream.next())
            .await
            .is_err(),
        "no second event"
    );

    // The approved draft itself is unchanged on disk.
    let stored = server.engine.get_draft(TENANT, &d.draft_id).unwrap();
    assert_eq!(stored.text, d.text);
    server.stop().await;
}

#[tokio::test]
async fn reject_needs_a_reason_from_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(BOB)).await;
    let d = seed(&server, Seed::new(&brief("acct-merrow"), "Hello Merrow.")).await;

    let err = c.decide(reject(&d.draft_id, "meh")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("unsupported_claim"),
        "{}",
        err.message()
    );

    let out = c
        .decide(reject(&d.draft_id, "not_relevant"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.draft.unwrap().status, pb::DraftStatus::Rejected as i32);
    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: d.draft_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let h = &view.history[0];
    assert_eq!(
        (h.reviewer.as_str(), h.reason_code.as_str(), h.kind),
        ("bob", "not_relevant", pb::DecisionKind::Reject as i32)
    );
    assert_eq!(h.comment, "not for this account");
    let q = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(q.total, 0);
    // No decision without a kind.
    let err = c
        .decide(pb::DecideRequest {
            draft_id: d.draft_id,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn regenerate_makes_a_checked_new_version_and_supersedes_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let d = seed(
        &server,
        Seed::new(&ashgrove, ROI).finding(
            "guarantee a 40% cut",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;
    let out = c
        .decide(pb::DecideRequest {
            draft_id: d.draft_id.clone(),
            decision_id: "regen-1".into(),
            decision: Some(pb::decide_request::Decision::Regenerate(pb::Regenerate {
                instruction: "use a softer CTA".into(),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    let child = out.new_draft.expect("a new version");
    assert_eq!(child.version, 2);
    assert_eq!(child.parent_draft_id, d.draft_id);
    assert_eq!(
        out.draft.unwrap().status,
        pb::DraftStatus::Superseded as i32
    );
    assert_eq!(
        out.decision.as_ref().unwrap().instruction,
        "use a softer CTA"
    );
    assert_eq!(out.decision.unwrap().result_draft_id, child.draft_id);
    // The new version went through routing again: a tier-1 account is reviewed.
    assert_eq!(child.route, pb::Route::HumanReview as i32);
    assert!(child.reasons.iter().any(|r| r.code == "tier_1_account"));
    assert!(!child.lineage.unwrap().items.is_empty());

    let q = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&q), vec![child.draft_id.clone()]);
    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: child.draft_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(view.history.len(), 1, "the parent's regeneration shows");
    assert_eq!(view.history[0].kind, pb::DecisionKind::Regenerate as i32);

    // Retrying the same decision does not regenerate twice.
    let again = c
        .decide(pb::DecideRequest {
            draft_id: d.draft_id.clone(),
            decision_id: "regen-1".into(),
            decision: Some(pb::decide_request::Decision::Regenerate(pb::Regenerate {
                instruction: "use a softer CTA".into(),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.new_draft.unwrap().draft_id, child.draft_id);
    let versions = server
        .engine
        .store()
        .account_drafts(TENANT, "acct-ashgrove")
        .unwrap();
    assert_eq!(versions.len(), 2);

    let err = c
        .decide(pb::DecideRequest {
            draft_id: child.draft_id,
            decision_id: String::new(),
            decision: Some(pb::decide_request::Decision::Regenerate(pb::Regenerate {
                instruction: "   ".into(),
            })),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn edit_is_rechecked_and_its_diff_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let d = seed(
        &server,
        Seed::new(&ashgrove, ROI).finding(
            "guarantee a 40% cut",
            CheckKind::RedLine,
            "roi_guarantee",
        ),
    )
    .await;
    let edited = "We have helped teams like Ashgrove cut audit prep time.";
    let out = c
        .decide(pb::DecideRequest {
            draft_id: d.draft_id.clone(),
            decision_id: "edit-1".into(),
            decision: Some(pb::decide_request::Decision::Edit(pb::Edit {
                text: Some(pb::DraftText {
                    subject: "A question about audit prep".into(),
                    body: edited.into(),
                }),
                comment: "removed the guarantee".into(),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    let child = out.new_draft.unwrap();
    assert_eq!(child.text.as_ref().unwrap().body, edited);
    assert_eq!(child.version, 2);
    assert_eq!(child.status, pb::DraftStatus::PendingReview as i32);
    // Checked again: the seeded finding is gone with the seeded text (the
    // checks ran on the new text, not copied from the parent).
    assert!(
        child
            .findings
            .iter()
            .all(|f| f.rule_id != "roi_guarantee" || f.excerpt != "guarantee a 40% cut")
    );
    assert!(child.reasons.iter().any(|r| r.code == "reviewer_edit"));
    assert_eq!(
        child.lineage.unwrap().generator.unwrap().kind,
        "reviewer_edit"
    );
    assert_eq!(
        out.draft.unwrap().status,
        pb::DraftStatus::Superseded as i32
    );
    let diff = out.decision.unwrap().edit_diff.unwrap();
    assert!(
        diff.body
            .iter()
            .any(|s| s.op == pb::DiffOp::Delete as i32 && s.text.contains("guarantee"))
    );
    // The edited version waits for approval, then is released.
    let q = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(&q), vec![child.draft_id.clone()]);
    c.decide(approve(&child.draft_id, "")).await.unwrap();

    // Subjects belong to email only.
    let mut li = Seed::new(&ashgrove, "Hello there.");
    li.channel = Channel::LinkedinMessage;
    li.subject = None;
    let li = seed(&server, li).await;
    let err = c
        .decide(pb::DecideRequest {
            draft_id: li.draft_id,
            decision_id: String::new(),
            decision: Some(pb::decide_request::Decision::Edit(pb::Edit {
                text: Some(pb::DraftText {
                    subject: "no".into(),
                    body: "Hi.".into(),
                }),
                comment: String::new(),
            })),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}

/// Generate drafts for low-risk accounts until one is auto-sent.
async fn auto_sent(server: &common::TestServer) -> Vec<pb::Draft> {
    let mut p = PersonalizationClient::new(server.channel().await);
    let mut out = Vec::new();
    for id in ["acct-quillmark", "acct-fennick", "acct-bellhaven"] {
        let resp = p
            .generate(pb::GenerateRequest {
                brief: Some(pb_brief(&brief(id))),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        out.extend(
            resp.drafts
                .into_iter()
                .filter(|d| d.status == pb::DraftStatus::AutoApproved as i32),
        );
        if !out.is_empty() {
            break;
        }
    }
    // Whether the offline drafts of low-risk accounts auto-send depends on
    // the checks of the day; the log is tested with seeded ones either way.
    out
}

async fn next_event(s: &mut tonic::Streaming<pb::ReleaseEvent>) -> pb::ReleaseEvent {
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("an event within 10s")
        .expect("stream open")
        .expect("event")
}

#[tokio::test]
async fn watch_resumes_from_a_cursor_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");

    // Auto-sent drafts enter the log when they are stored.
    let quillmark = brief("acct-quillmark");
    let mut quill = Seed::new(&quillmark, "Auto one.");
    quill.status = proofline::model::DraftStatus::AutoApproved;
    let seeded_auto = seed(&server, quill).await;
    let mut first_batch = auto_sent(&server).await;
    first_batch.insert(0, proofline::grpc::convert::draft_to_pb(&seeded_auto));
    let mut stream = c
        .watch_decisions(pb::WatchDecisionsRequest { after_seq: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    for _ in 0..first_batch.len() {
        let ev = next_event(&mut stream).await;
        assert_eq!(ev.kind, pb::ReleaseKind::AutoSent as i32);
        seen.push(ev);
    }
    // Live: an approval while connected arrives on the open stream.
    let live = seed(&server, Seed::new(&ashgrove, "Live one.")).await;
    c.decide(approve(&live.draft_id, "")).await.unwrap();
    let ev = next_event(&mut stream).await;
    assert_eq!(ev.draft.as_ref().unwrap().draft_id, live.draft_id);
    seen.push(ev);
    let cursor = seen.last().unwrap().seq;
    drop(stream);

    // While disconnected: two approvals and another auto-send.
    let a = seed(&server, Seed::new(&ashgrove, "Offline one.")).await;
    let b = seed(&server, Seed::new(&ashgrove, "Offline two.")).await;
    c.decide(approve(&a.draft_id, "")).await.unwrap();
    c.decide(approve(&b.draft_id, "")).await.unwrap();
    let more = if first_batch.len() < 2 {
        Vec::new()
    } else {
        let mut p = PersonalizationClient::new(server.channel().await);
        let mut req = pb::GenerateRequest {
            brief: Some(pb_brief(&brief(&first_batch[1].account_id.clone()))),
            channels: vec![first_batch[1].channel],
            ..Default::default()
        };
        req.idempotency_key = "second-run".into();
        p.generate(req).await.unwrap().into_inner().drafts
    };
    let more_auto = more
        .iter()
        .filter(|d| d.status == pb::DraftStatus::AutoApproved as i32)
        .count();

    let mut resumed = c
        .watch_decisions(pb::WatchDecisionsRequest { after_seq: cursor })
        .await
        .unwrap()
        .into_inner();
    let mut after = Vec::new();
    for _ in 0..(2 + more_auto) {
        after.push(next_event(&mut resumed).await);
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), resumed.next())
            .await
            .is_err(),
        "nothing repeated or extra"
    );
    let seqs: Vec<u64> = after.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (cursor + 1..=cursor + after.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "gap-free, in order, starting after the cursor"
    );
    let released: Vec<String> = after
        .iter()
        .filter(|e| e.kind == pb::ReleaseKind::Approved as i32)
        .map(|e| e.draft.as_ref().unwrap().draft_id.clone())
        .collect();
    assert_eq!(released, vec![a.draft_id.clone(), b.draft_id.clone()]);

    // The whole log from 0 is the concatenation: nothing missed.
    let mut full = c
        .watch_decisions(pb::WatchDecisionsRequest { after_seq: 0 })
        .await
        .unwrap()
        .into_inner();
    let total = seen.len() + after.len();
    let mut all = Vec::new();
    for _ in 0..total {
        all.push(next_event(&mut full).await.seq);
    }
    assert_eq!(all, (1..=total as u64).collect::<Vec<_>>());
    drop(full);

    // The log survives a restart.
    server.stop().await;
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let mut s = c
        .watch_decisions(pb::WatchDecisionsRequest {
            after_seq: total as u64 - 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next_event(&mut s).await.seq, total as u64);
    drop(s);
    server.stop().await;
}

#[tokio::test]
async fn every_call_needs_a_known_reviewer_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let d = seed(&server, Seed::new(&brief("acct-ashgrove"), "Hi.")).await;
    for token in [None, Some("not-a-real-token-at-all")] {
        let mut c = client(&server, token).await;
        let codes = [
            c.list_queue(pb::ListQueueRequest::default())
                .await
                .unwrap_err()
                .code(),
            c.get_draft(pb::GetReviewDraftRequest {
                draft_id: d.draft_id.clone(),
            })
            .await
            .unwrap_err()
            .code(),
            c.decide(approve(&d.draft_id, "")).await.unwrap_err().code(),
            c.watch_decisions(pb::WatchDecisionsRequest::default())
                .await
                .unwrap_err()
                .code(),
            c.get_review_stats(pb::GetReviewStatsRequest {})
                .await
                .unwrap_err()
                .code(),
        ];
        assert!(
            codes.iter().all(|c| *c == Code::Unauthenticated),
            "{codes:?}"
        );
    }
    // Nothing was decided.
    let stored = server.engine.get_draft(TENANT, &d.draft_id).unwrap();
    assert_eq!(stored.status, proofline::model::DraftStatus::PendingReview);
    server.stop().await;

    // No tokens configured: review is closed.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::test_config(&dir.path().join("data"));
    cfg.server.library = review_support::library(dir.path()).display().to_string();
    let server = common::TestServer::start_with(cfg).await;
    let mut c = client(&server, Some(ALICE)).await;
    let err = c
        .list_queue(pb::ListQueueRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    server.stop().await;
}

#[tokio::test]
async fn review_stats_turn_decisions_into_check_labels() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut c = client(&server, Some(ALICE)).await;
    let ashgrove = brief("acct-ashgrove");
    let flagged = |body: &'static str| {
        Seed::new(&ashgrove, body).finding("guarantee", CheckKind::RedLine, "roi_guarantee")
    };
    let tp = seed(&server, flagged("We guarantee results.")).await;
    let fa = seed(&server, flagged("We guarantee nothing but a chat.")).await;
    let miss = seed(&server, Seed::new(&ashgrove, "You run 40 data centres.")).await;
    c.decide(reject(&tp.draft_id, "red_line")).await.unwrap();
    c.decide(approve(&fa.draft_id, "")).await.unwrap();
    c.decide(reject(&miss.draft_id, "unsupported_claim"))
        .await
        .unwrap();
    let s = c
        .get_review_stats(pb::GetReviewStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((s.approved, s.rejected), (1, 2));
    assert_eq!((s.misses, s.false_alarms), (1, 1));
    let rule = s
        .rules
        .iter()
        .find(|r| r.rule_id == "roi_guarantee")
        .unwrap();
    assert_eq!((rule.true_positives, rule.false_positives), (1, 1));
    assert_eq!(rule.precision, Some(0.5));
    assert_eq!(rule.recall, Some(1.0));
    let grounding = s.checks.iter().find(|c| c.check == "grounding").unwrap();
    assert_eq!((grounding.misses, grounding.recall), (1, Some(0.0)));
    server.stop().await;

    // The same numbers from the command line, on the stopped server's store.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proofline"))
        .args(["review-stats", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 approved, 2 rejected"), "{text}");
    assert!(text.contains("red_line/roi_guarantee"), "{text}");
    assert!(text.contains("50%"), "{text}");
}

/// A generated draft in the queue shows its claim log, each claim beside the
/// text of the source it cites.
#[tokio::test]
async fn generated_draft_shows_claims_beside_their_sources() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let tier1 = common::example_briefs()
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.tier == 1)
        .unwrap();
    let mut personalization = PersonalizationClient::new(server.channel().await);
    let resp = personalization
        .generate(pb::GenerateRequest {
            brief: Some(pb_brief(&tier1)),
            channels: vec![pb::Channel::Email as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut c = client(&server, Some(ALICE)).await;
    let view = c
        .get_draft(pb::GetReviewDraftRequest {
            draft_id: resp.drafts[0].draft_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        !view.claims.is_empty(),
        "the composer's claim log reaches the reviewer"
    );
    for claim in &view.claims {
        assert!(claim.supported, "{claim:?}");
        assert!(!claim.source_text.is_empty(), "source resolved: {claim:?}");
        assert!(!claim.source_kind.is_empty());
    }
    assert!(
        view.claims.iter().any(|c| c.source_kind == "proof"),
        "{:?}",
        view.claims
    );
    server.stop().await;
}
