//! The Outcomes service end to end: real server on 127.0.0.1:0, real tonic
//! clients, real sled store in a temp folder.
//!
//! Drafts that must be released are written through `Store::put_generation`
//! with the lineage each test needs (generation itself is tested elsewhere
//! and may route anything to review); drafts that must exist as generated
//! come from the real `Generate`.

mod common;

use chrono::{Duration, SecondsFormat, Utc};
use common::*;
use proofline::config::{Config, ExperimentConfig};
use proofline::grpc::pb;
use proofline::grpc::pb::outcomes_client::OutcomesClient;
use proofline::model::{
    AccountBrief, Channel, Draft, DraftStatus, DraftText, GeneratorInfo, ItemKind, ItemRef,
    Lineage, Route, Sender, Trigger,
};
use proofline::outcomes::aggregate::{self, DraftOutcome, Filter, GroupBy, Metric, Row};
use proofline::outcomes::{Experiment, OutcomeEvent};
use proofline::store::StoredRequest;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::Code;
use tonic_types::StatusExt;

const EXPERIMENT: &str = "genai-vs-baseline";

/// The one place briefs are built: an example brief of the repository with
/// this tier when there is one (its proof ids are real and allowed for the
/// tier), else a minimal valid brief; with this account.
fn brief(account: &str, tier: u32) -> AccountBrief {
    let mut b = std::fs::read_dir(repo().join("examples/briefs"))
        .ok()
        .and_then(|_| {
            example_briefs()
                .into_iter()
                .map(|(_, b)| b)
                .find(|b| b.tier == tier)
        })
        .unwrap_or_else(|| AccountBrief {
            account_name: "Northwind Logistics".into(),
            industry: "logistics".into(),
            region: "EMEA".into(),
            tier: 2,
            persona: "CISO".into(),
            stage: "evaluating".into(),
            trigger: Trigger {
                kind: "security_hiring".into(),
                summary: "Hiring a head of security operations".into(),
                occurred_on: (Utc::now().date_naive() - Duration::days(3)).to_string(),
            },
            cta_offers: vec!["a 20-minute security review".into()],
            sender: Sender {
                name: "Sam Lee".into(),
                title: "Account Executive".into(),
                company: "Proofline Demo".into(),
            },
            ..Default::default()
        });
    b.account_id = account.into();
    b.account_name = format!("Account {account}");
    b.tier = tier;
    b
}

fn config(dir: &std::path::Path) -> Config {
    let mut cfg = test_config(dir);
    cfg.experiments.insert(
        EXPERIMENT.into(),
        ExperimentConfig {
            enabled: true,
            holdout_share: 0.5,
            control: "baseline".into(),
            treatment: "genai".into(),
            personas: vec![],
            trigger_kinds: vec![],
        },
    );
    cfg
}

async fn outcomes(server: &TestServer) -> OutcomesClient<common::AuthChannel> {
    OutcomesClient::new(server.channel().await)
}

fn item(kind: ItemKind, id: &str, version: &str) -> ItemRef {
    ItemRef {
        kind,
        id: id.into(),
        version: version.into(),
    }
}

/// A released email draft for `account` with a CTA and an experiment arm.
fn released(id: &str, account: &str, cta: &str, arm: &str) -> Draft {
    Draft {
        draft_id: id.into(),
        request_id: format!("req-{id}"),
        tenant: "default".into(),
        account_id: account.into(),
        channel: Channel::Email,
        text: DraftText {
            subject: Some("s".into()),
            body: "b".into(),
        },
        findings: vec![],
        claims: vec![],
        route: Route::AutoSend,
        reasons: vec![],
        lineage: Lineage {
            brief_hash: "h".into(),
            library_commit: "test".into(),
            items: vec![
                item(ItemKind::Prompt, "email", "1.0.0"),
                item(ItemKind::Component, cta, "1.0.0"),
                item(ItemKind::Proof, "pp-a", "1.0.0"),
            ],
            generator: GeneratorInfo::offline(),
            usage: Default::default(),
            experiment: if arm.is_empty() {
                String::new()
            } else {
                EXPERIMENT.into()
            },
            arm: arm.into(),
        },
        status: DraftStatus::AutoApproved,
        created_at: (Utc::now() - Duration::days(2)).to_rfc3339(),
        version: 1,
        parent_draft_id: String::new(),
    }
}

async fn insert(server: &TestServer, drafts: &[Draft]) {
    for d in drafts {
        let req = StoredRequest {
            request_id: d.request_id.clone(),
            idempotency_key: format!("k:{}", d.request_id),
            brief_hash: "h".into(),
            draft_ids: vec![d.draft_id.clone()],
            created_at: d.created_at.clone(),
        };
        server
            .engine
            .store()
            .put_generation(
                "default",
                "seed",
                &req,
                &brief(&d.account_id, 2),
                std::slice::from_ref(d),
            )
            .await
            .unwrap();
    }
}

fn at(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn record(
    event_id: &str,
    draft_id: &str,
    kind: pb::OutcomeKind,
    when: &str,
) -> pb::RecordOutcomeRequest {
    pb::RecordOutcomeRequest {
        event_id: event_id.into(),
        draft_id: draft_id.into(),
        kind: kind as i32,
        occurred_at: when.into(),
    }
}

fn rule_of(status: &tonic::Status) -> String {
    status
        .get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.r#type)
        .unwrap_or_default()
}

async fn performance(
    client: &mut OutcomesClient<common::AuthChannel>,
    by: pb::GroupBy,
) -> pb::GetPerformanceResponse {
    client
        .get_performance(pb::GetPerformanceRequest {
            group_by: by as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

fn rate(g: &pb::GroupPerformance, m: pb::Metric) -> &pb::RateEstimate {
    g.rates.iter().find(|r| r.metric == m as i32).unwrap()
}

#[tokio::test]
async fn recording_is_idempotent_durable_and_counted_once() {
    use pb::OutcomeKind as K;
    // One clock reading for the whole test: an event id names one event, so a
    // replay must carry the same timestamp to the second.
    let now = Utc::now();
    let at = |hours_ago: i64| {
        (now - Duration::hours(hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(dir.path())).await;
    insert(
        &server,
        &[
            released("d1", "a1", "cta-book-demo", ""),
            released("d2", "a2", "cta-audit", ""),
        ],
    )
    .await;
    let mut client = outcomes(&server).await;
    let first = client
        .record_outcome(record("e1", "d1", K::Sent, &at(30)))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replayed);
    for (id, draft, kind, h) in [
        ("e2", "d1", K::Delivered, 29),
        ("e3", "d1", K::PositiveReply, 20),
        ("e4", "d1", K::MeetingBooked, 10),
        ("e5", "d2", K::Sent, 30),
        ("e6", "d2", K::Bounced, 29),
    ] {
        client
            .record_outcome(record(id, draft, kind, &at(h)))
            .await
            .unwrap();
    }
    // The same event again: the first acknowledgement, counted once.
    let again = client
        .record_outcome(record(
            "e1",
            "d1",
            K::Sent,
            &first.event.as_ref().unwrap().occurred_at,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.event, first.event);
    let e4 = client
        .record_outcome(record("e4", "d1", K::MeetingBooked, &at(10)))
        .await
        .unwrap()
        .into_inner();
    assert!(e4.replayed);

    let check = |p: &pb::GetPerformanceResponse| {
        assert_eq!(p.overall.as_ref().unwrap().drafts_sent, 2);
        let keys: Vec<_> = p.groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["cta-audit@1.0.0", "cta-book-demo@1.0.0"]);
        let demo = &p.groups[1];
        assert_eq!(demo.drafts_sent, 1);
        assert_eq!(
            demo.rates[0].metric,
            pb::Metric::MeetingBooked as i32,
            "downstream first"
        );
        let m = rate(demo, pb::Metric::MeetingBooked);
        assert_eq!((m.successes, m.trials), (1, 1));
        assert!(m.lower > 0.0 && m.upper == 1.0);
        assert_eq!(rate(demo, pb::Metric::Replied).successes, 1);
        assert_eq!(rate(&p.groups[0], pb::Metric::Bounced).successes, 1);
        assert_eq!(p.confidence, 0.95);
    };
    check(&performance(&mut client, pb::GroupBy::Cta).await);
    // Persona comes from the stored brief.
    let by_persona = performance(&mut client, pb::GroupBy::Persona).await;
    assert_eq!(by_persona.groups.len(), 1);
    assert_ne!(by_persona.groups[0].key, "(none)");

    // Acknowledged means on disk: a restart sees the same numbers.
    server.stop().await;
    let server = TestServer::start_with(config(dir.path())).await;
    let mut client = outcomes(&server).await;
    check(&performance(&mut client, pb::GroupBy::Cta).await);
    let replay = client
        .record_outcome(record("e3", "d1", K::PositiveReply, &at(20)))
        .await
        .unwrap()
        .into_inner();
    assert!(replay.replayed);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_name_the_field_or_the_rule() {
    use pb::OutcomeKind as K;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(dir.path())).await;
    insert(
        &server,
        &[
            released("d1", "a1", "cta-x", ""),
            released("d2", "a2", "cta-x", ""),
        ],
    )
    .await;
    let mut client = outcomes(&server).await;

    let err = client
        .record_outcome(pb::RecordOutcomeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let mut fields = violation_fields(&err);
    fields.sort();
    assert_eq!(fields, ["draft_id", "event_id", "kind", "occurred_at"]);
    let err = client
        .record_outcome(record("e0", "d1", K::Sent, "yesterday"))
        .await
        .unwrap_err();
    assert_eq!(violation_fields(&err), ["occurred_at"]);

    let err = client
        .record_outcome(record("e0", "nope", K::Sent, &at(1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let refused = |rule: &str, err: tonic::Status| {
        assert_eq!(err.code(), Code::FailedPrecondition, "{rule}: {err:?}");
        assert_eq!(rule_of(&err), rule);
        assert!(err.message().contains(rule), "{}", err.message());
    };
    refused(
        "sent_first",
        client
            .record_outcome(record("r0", "d1", K::Replied, &at(5)))
            .await
            .unwrap_err(),
    );
    client
        .record_outcome(record("s1", "d1", K::Sent, &at(10)))
        .await
        .unwrap();
    refused(
        "not_before_sent",
        client
            .record_outcome(record("r1", "d1", K::Replied, &at(11)))
            .await
            .unwrap_err(),
    );
    refused(
        "sent_once",
        client
            .record_outcome(record("s2", "d1", K::Sent, &at(9)))
            .await
            .unwrap_err(),
    );
    client
        .record_outcome(record("b1", "d1", K::Bounced, &at(9)))
        .await
        .unwrap();
    refused(
        "bounce_excludes_delivery",
        client
            .record_outcome(record("dl1", "d1", K::Delivered, &at(8)))
            .await
            .unwrap_err(),
    );
    refused(
        "no_engagement_after_bounce",
        client
            .record_outcome(record("m1", "d1", K::MeetingBooked, &at(8)))
            .await
            .unwrap_err(),
    );
    refused(
        "event_id_reused",
        client
            .record_outcome(record("s1", "d2", K::Sent, &at(10)))
            .await
            .unwrap_err(),
    );
    refused(
        "not_in_future",
        client
            .record_outcome(record("f1", "d2", K::Sent, &at(-2)))
            .await
            .unwrap_err(),
    );
    refused(
        "not_before_draft",
        client
            .record_outcome(record("f2", "d2", K::Sent, &at(24 * 5)))
            .await
            .unwrap_err(),
    );

    // A draft generated for a tier-1 account waits for review: never released.
    let resp = server
        .client()
        .await
        .generate(pb::GenerateRequest {
            brief: Some(pb_brief(&brief("strategic-1", 1))),
            channels: vec![pb::Channel::Email as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let pending = &resp.drafts[0];
    assert_eq!(pending.status, pb::DraftStatus::PendingReview as i32);
    refused(
        "draft_not_released",
        client
            .record_outcome(record("p1", &pending.draft_id, K::Sent, &at(0)))
            .await
            .unwrap_err(),
    );

    let err = client
        .get_performance(pb::GetPerformanceRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violation_fields(&err), ["group_by"]);
    let err = client
        .get_lift(pb::GetLiftRequest {
            experiment: "unknown".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violation_fields(&err), ["control_arm", "treatment_arm"]);
    server.stop().await;
}

#[tokio::test]
async fn generated_drafts_carry_the_accounts_arm_and_brief() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(dir.path())).await;
    let exp = Experiment::new(EXPERIMENT, 0.5, "baseline", "genai", &[], &[]).unwrap();
    let mut gen_client = server.client().await;
    let mut arms = std::collections::BTreeSet::new();
    for i in 0..8 {
        let account = format!("acct-{i}");
        let resp = gen_client
            .generate(pb::GenerateRequest {
                brief: Some(pb_brief(&brief(&account, 1))),
                channels: vec![pb::Channel::Email as i32, pb::Channel::CallScript as i32],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let want = exp.assign(&account).arm;
        for d in &resp.drafts {
            let l = d.lineage.as_ref().unwrap();
            assert_eq!(
                (l.experiment.as_str(), l.arm.as_str()),
                (EXPERIMENT, want.as_str())
            );
        }
        arms.insert(want);
        let stored = server
            .engine
            .store()
            .get_brief("default", &resp.request_id)
            .unwrap();
        assert_eq!(stored.map(|b| b.account_id), Some(account));
    }
    assert_eq!(arms.len(), 2, "eight accounts land in both arms");
    // A pinned prompt version is the caller's choice: not enrolled.
    let resp = gen_client
        .generate(pb::GenerateRequest {
            brief: Some(pb_brief(&brief("acct-pinned", 1))),
            channels: vec![pb::Channel::Email as i32],
            prompt_label: "production".into(),
            ..Default::default()
        })
        .await;
    if let Ok(resp) = resp {
        assert_eq!(
            resp.into_inner().drafts[0]
                .lineage
                .as_ref()
                .unwrap()
                .experiment,
            ""
        );
    }
    server.stop().await;
}

/// A known synthetic stream recorded through the service: what the server
/// reports equals what the pure functions compute from the same stream, and
/// the console and SVG show it.
#[tokio::test]
async fn a_synthetic_stream_end_to_end() {
    use pb::OutcomeKind as K;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(dir.path())).await;
    let mut rng = StdRng::seed_from_u64(7);
    let (p_meeting_baseline, p_meeting_genai) = (0.1, 0.3);
    let mut drafts = Vec::new();
    let mut events: Vec<Vec<OutcomeEvent>> = Vec::new();
    let t0 = Utc::now() - Duration::hours(48);
    for i in 0..80 {
        let arm = if i % 2 == 0 { "baseline" } else { "genai" };
        let cta = if i % 4 < 2 { "cta-demo" } else { "cta-audit" };
        let d = released(&format!("d{i:03}"), &format!("a{i:03}"), cta, arm);
        let mut kinds = vec![K::Sent, K::Delivered];
        let p = if arm == "genai" {
            p_meeting_genai
        } else {
            p_meeting_baseline
        };
        if rng.random_bool(p) {
            kinds.extend([K::PositiveReply, K::MeetingBooked]);
        } else if rng.random_bool(0.2) {
            kinds.push(K::NegativeReply);
        }
        let mut mine = Vec::new();
        for (j, k) in kinds.into_iter().enumerate() {
            let when = t0 + Duration::hours(j as i64);
            mine.push((format!("{}-{j}", d.draft_id), k, when));
        }
        events.push(
            mine.iter()
                .map(|(id, k, when)| OutcomeEvent {
                    event_id: id.clone(),
                    draft_id: d.draft_id.clone(),
                    kind: proofline::grpc::outcomes::kind_from_pb(*k as i32).unwrap(),
                    occurred_at: *when,
                    recorded_at: *when,
                })
                .collect(),
        );
        drafts.push(d);
    }
    insert(&server, &drafts).await;
    let mut client = outcomes(&server).await;
    for evs in &events {
        for e in evs {
            let kind = proofline::grpc::outcomes::kind_to_pb(e.kind);
            client
                .record_outcome(record(
                    &e.event_id,
                    &e.draft_id,
                    kind,
                    &e.occurred_at.to_rfc3339(),
                ))
                .await
                .unwrap();
        }
    }

    let rows: Vec<Row> = drafts
        .iter()
        .zip(&events)
        .map(|(d, e)| Row {
            draft: d,
            brief: None,
            outcome: DraftOutcome::from_events(e),
        })
        .collect();
    let want = aggregate::performance(GroupBy::ExperimentArm, &Filter::default(), rows.clone());
    let got = performance(&mut client, pb::GroupBy::ExperimentArm).await;
    assert_eq!(got.groups.len(), want.groups.len());
    for (g, w) in got.groups.iter().zip(&want.groups) {
        assert_eq!(
            (g.key.as_str(), g.drafts_sent),
            (w.key.as_str(), w.drafts_sent)
        );
        for (r, wr) in g.rates.iter().zip(&w.rates) {
            assert_eq!(
                r.successes, wr.estimate.successes,
                "{} {:?}",
                g.key, wr.metric
            );
            assert_eq!(
                (r.lower, r.upper),
                (wr.estimate.interval.lower, wr.estimate.interval.upper)
            );
        }
    }

    let lift = client
        .get_lift(pb::GetLiftRequest {
            experiment: EXPERIMENT.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (lift.unit.as_str(), lift.method.as_str()),
        ("account", "newcombe_hybrid_score")
    );
    let want = aggregate::lift(
        EXPERIMENT,
        "baseline",
        "genai",
        &Metric::ALL,
        &Filter::default(),
        rows,
    );
    assert_eq!(lift.lifts.len(), Metric::ALL.len());
    let meeting = &lift.lifts[0];
    assert_eq!(meeting.metric, pb::Metric::MeetingBooked as i32);
    let w = &want.lifts[0];
    let (c, t) = (
        meeting.control.as_ref().unwrap(),
        meeting.treatment.as_ref().unwrap(),
    );
    assert_eq!((c.arm.as_str(), c.accounts), ("baseline", 40));
    assert_eq!((t.arm.as_str(), t.accounts), ("genai", 40));
    assert_eq!(
        (c.successes, t.successes),
        (w.control.estimate.successes, w.treatment.estimate.successes)
    );
    assert_eq!(
        (meeting.lower, meeting.upper),
        (w.interval.lower, w.interval.upper)
    );
    assert!(meeting.lower <= meeting.difference && meeting.difference <= meeting.upper);

    // The console: an HTML page with the chart inline, and the bare SVG.
    let (status, page) = server.http_get("/performance?by=experiment_arm").await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg") && page.contains("genai-vs-baseline/genai"));
    assert!(page.contains("Lift: genai-vs-baseline"));
    assert!(!page.contains("src=\"http") && !page.contains("<script"));
    let (status, svg) = server
        .http_get("/performance.svg?by=cta&metrics=meeting_booked")
        .await;
    assert_eq!(status, 200);
    assert!(svg.starts_with("<svg"));
    assert_eq!(svg.matches("class=\"row\"").count(), 2);
    let (status, _) = server.http_get("/performance.svg?by=colour").await;
    assert_eq!(status, 400);
    server.stop().await;
}
