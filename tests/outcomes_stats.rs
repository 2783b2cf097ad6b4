//! The statistics, checked against the truth: synthetic outcome streams with
//! known rates (seeded RNG), run through the same aggregation the service
//! uses, over many seeds. A 95% interval must contain the true value in about
//! 95% of runs; we accept [0.92, 0.98] over 400 seeds (the binomial sd of the
//! coverage estimate is about 0.011). Pure functions only, so this is fast.

use chrono::{DateTime, Duration, Utc};
use proofline::model::{
    Channel, Draft, DraftStatus, DraftText, GeneratorInfo, ItemKind, ItemRef, Lineage, Route,
};
use proofline::outcomes::aggregate::{self, DraftOutcome, Filter, GroupBy, Metric, Row};
use proofline::outcomes::event::check_sequence;
use proofline::outcomes::stats::{Proportion, Z95, wilson};
use proofline::outcomes::{EventKind, OutcomeEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SEEDS: u64 = 400;

fn assert_coverage(name: &str, hits: u64) {
    let c = hits as f64 / SEEDS as f64;
    eprintln!("{name}: coverage {c:.3}");
    assert!(
        (0.92..=0.98).contains(&c),
        "{name}: coverage {c:.3} outside [0.92, 0.98]"
    );
}

fn draft(id: &str, account: &str, cta: &str, experiment: &str, arm: &str) -> Draft {
    Draft {
        draft_id: id.into(),
        request_id: format!("r-{id}"),
        tenant: "default".into(),
        account_id: account.into(),
        channel: Channel::Email,
        text: DraftText::default(),
        findings: vec![],
        claims: vec![],
        route: Route::AutoSend,
        reasons: vec![],
        lineage: Lineage {
            brief_hash: String::new(),
            library_commit: "test".into(),
            items: vec![ItemRef {
                kind: ItemKind::Component,
                id: cta.into(),
                version: "1.0.0".into(),
            }],
            generator: GeneratorInfo::offline(),
            usage: Default::default(),
            experiment: experiment.into(),
            arm: arm.into(),
        },
        status: DraftStatus::AutoApproved,
        created_at: "2026-01-01T00:00:00Z".into(),
        version: 1,
        parent_draft_id: String::new(),
    }
}

/// The funnel one sent draft goes through. Every probability is conditional
/// on the previous step; `truth` gives the resulting marginal rates per sent
/// draft.
#[derive(Clone, Copy)]
struct Funnel {
    bounce: f64,
    reply: f64,
    positive_given_reply: f64,
    meeting_given_positive: f64,
    opportunity_given_meeting: f64,
    unsubscribe_given_no_reply: f64,
}

impl Funnel {
    fn truth(&self, m: Metric) -> f64 {
        let delivered = 1.0 - self.bounce;
        let replied = delivered * self.reply;
        let positive = replied * self.positive_given_reply;
        let meeting = positive * self.meeting_given_positive;
        match m {
            Metric::Delivered => delivered,
            Metric::Bounced => self.bounce,
            Metric::Replied => replied,
            Metric::PositiveReply => positive,
            Metric::MeetingBooked => meeting,
            Metric::OpportunityCreated => meeting * self.opportunity_given_meeting,
            Metric::Unsubscribed => {
                delivered * (1.0 - self.reply) * self.unsubscribe_given_no_reply
            }
        }
    }

    /// One draft's events, each admitted by the sequence rules.
    fn events(&self, rng: &mut StdRng, draft_id: &str) -> Vec<OutcomeEvent> {
        let t0 = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap();
        let mut kinds = vec![EventKind::Sent];
        if rng.random_bool(self.bounce) {
            kinds.push(EventKind::Bounced);
        } else {
            kinds.push(EventKind::Delivered);
            if rng.random_bool(self.reply) {
                kinds.push(EventKind::Replied);
                if rng.random_bool(self.positive_given_reply) {
                    kinds.push(EventKind::PositiveReply);
                    if rng.random_bool(self.meeting_given_positive) {
                        kinds.push(EventKind::MeetingBooked);
                        if rng.random_bool(self.opportunity_given_meeting) {
                            kinds.push(EventKind::OpportunityCreated);
                        }
                    }
                } else {
                    kinds.push(EventKind::NegativeReply);
                }
            } else if rng.random_bool(self.unsubscribe_given_no_reply) {
                kinds.push(EventKind::Unsubscribed);
            }
        }
        let mut history: Vec<OutcomeEvent> = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let at = t0 + Duration::hours(i as i64);
            let e = OutcomeEvent {
                event_id: format!("{draft_id}-{i}"),
                draft_id: draft_id.into(),
                kind,
                occurred_at: at,
                recorded_at: at,
            };
            check_sequence(&history, &e, t0, t0 + Duration::days(30))
                .unwrap_or_else(|v| panic!("generator broke {}: {}", v.rule, v.message));
            history.push(e);
        }
        history
    }
}

#[test]
fn wilson_interval_covers_the_true_rate() {
    for (p, n) in [(0.04, 400u64), (0.1, 200), (0.3, 80), (0.9, 150)] {
        let mut hits = 0;
        for seed in 0..SEEDS {
            let mut rng = StdRng::seed_from_u64(seed);
            let x = (0..n).filter(|_| rng.random_bool(p)).count() as u64;
            hits += u64::from(wilson(x, n, Z95).contains(p));
        }
        assert_coverage(&format!("wilson p={p} n={n}"), hits);
    }
}

/// Two CTA groups with different reply rates, 500 sent drafts each: every
/// reported rate's interval, per group, covers the true marginal rate.
#[test]
fn performance_intervals_cover_true_rates_per_group() {
    let base = Funnel {
        bounce: 0.05,
        reply: 0.2,
        positive_given_reply: 0.5,
        meeting_given_positive: 0.6,
        opportunity_given_meeting: 0.5,
        unsubscribe_given_no_reply: 0.04,
    };
    let groups = [
        ("cta-book-demo", base),
        ("cta-audit-checklist", Funnel { reply: 0.3, ..base }),
    ];
    let templates: Vec<Draft> = groups
        .iter()
        .map(|(cta, _)| draft(cta, "acct", cta, "", ""))
        .collect();
    let mut hits = vec![[0u64; Metric::ALL.len()]; groups.len()];
    for seed in 0..SEEDS {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut rows = Vec::new();
        for (g, (_, funnel)) in groups.iter().enumerate() {
            for i in 0..500 {
                let events = funnel.events(&mut rng, &format!("{g}-{i}"));
                rows.push(Row {
                    draft: &templates[g],
                    brief: None,
                    outcome: DraftOutcome::from_events(&events),
                });
            }
        }
        let perf = aggregate::performance(GroupBy::Cta, &Filter::default(), rows);
        assert_eq!(perf.groups.len(), 2);
        assert_eq!(perf.overall.drafts_sent, 1000);
        for (g, (cta, funnel)) in groups.iter().enumerate() {
            let group = perf
                .groups
                .iter()
                .find(|x| x.key == format!("{cta}@1.0.0"))
                .expect("group present");
            assert_eq!(group.drafts_sent, 500);
            for (i, m) in Metric::ALL.iter().enumerate() {
                hits[g][i] +=
                    u64::from(group.rate(*m).estimate.interval.contains(funnel.truth(*m)));
            }
        }
    }
    for (g, (cta, _)) in groups.iter().enumerate() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_coverage(&format!("{cta} {}", m.as_str()), hits[g][i]);
        }
    }
}

/// An experiment with two drafts per account: lift is counted in accounts,
/// so the truth is the account-level rate 1-(1-q)^2, and the Newcombe
/// interval must cover the true difference.
#[test]
fn lift_interval_covers_the_true_difference() {
    let (q_control, q_treatment) = (0.05, 0.08);
    let account_truth = |q: f64| 1.0 - (1.0 - q) * (1.0 - q);
    let true_diff = account_truth(q_treatment) - account_truth(q_control);
    let accounts = 600;
    let mut drafts = Vec::new();
    for a in 0..accounts {
        let arm = if a % 2 == 0 { "baseline" } else { "genai" };
        for k in 0..2 {
            drafts.push(draft(
                &format!("d{a}-{k}"),
                &format!("acct-{a}"),
                "cta-x",
                "exp",
                arm,
            ));
        }
    }
    let t0 = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap();
    let (mut covered, mut control_n) = (0u64, 0u64);
    for seed in 0..SEEDS {
        let mut rng = StdRng::seed_from_u64(seed);
        let rows = drafts.iter().map(|d| {
            let q = if d.lineage.arm == "genai" {
                q_treatment
            } else {
                q_control
            };
            Row {
                draft: d,
                brief: None,
                outcome: DraftOutcome {
                    sent_at: Some(t0),
                    delivered: true,
                    meeting_booked: rng.random_bool(q),
                    ..Default::default()
                },
            }
        });
        let lift = aggregate::lift(
            "exp",
            "baseline",
            "genai",
            &[Metric::MeetingBooked],
            &Filter::default(),
            rows.collect::<Vec<_>>(),
        );
        let m = &lift.lifts[0];
        control_n = m.control.estimate.trials;
        assert_eq!(m.treatment.estimate.trials, accounts / 2);
        covered += u64::from(m.interval.contains(true_diff));
    }
    assert_eq!(control_n, accounts / 2, "accounts, not drafts");
    assert_coverage("newcombe lift", covered);
}

#[test]
fn no_data_means_no_knowledge() {
    let p = Proportion::new(0, 0);
    assert_eq!(
        (p.rate, p.interval.lower, p.interval.upper),
        (0.0, 0.0, 1.0)
    );
    let lift = aggregate::lift(
        "exp",
        "baseline",
        "genai",
        &Metric::ALL,
        &Filter::default(),
        Vec::new(),
    );
    assert_eq!(lift.lifts.len(), Metric::ALL.len());
    assert_eq!(
        lift.lifts[0].metric,
        Metric::MeetingBooked,
        "downstream first"
    );
    assert!(lift.lifts.iter().all(|m| m.relative.is_none()));
}
