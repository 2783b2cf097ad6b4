//! Grouping and experiment assignment, on hand-built drafts (pure).

use chrono::{DateTime, Utc};
use proofline::model::{
    AccountBrief, Channel, Draft, DraftStatus, DraftText, GeneratorInfo, ItemKind, ItemRef,
    Lineage, Route, Trigger,
};
use proofline::outcomes::aggregate::{
    self, DraftOutcome, Filter, GroupBy, Metric, NONE_KEY, Row, group_keys, has_role,
};
use proofline::outcomes::{Experiment, Experiments};

fn item(kind: ItemKind, id: &str, version: &str) -> ItemRef {
    ItemRef {
        kind,
        id: id.into(),
        version: version.into(),
    }
}

fn draft(id: &str, channel: Channel, items: Vec<ItemRef>, exp: &str, arm: &str) -> Draft {
    Draft {
        draft_id: id.into(),
        request_id: format!("r-{id}"),
        tenant: "default".into(),
        account_id: format!("acct-{id}"),
        channel,
        text: DraftText::default(),
        findings: vec![],
        claims: vec![],
        route: Route::AutoSend,
        reasons: vec![],
        lineage: Lineage {
            brief_hash: String::new(),
            library_commit: "test".into(),
            items,
            generator: GeneratorInfo::offline(),
            usage: Default::default(),
            experiment: exp.into(),
            arm: arm.into(),
        },
        status: DraftStatus::AutoApproved,
        created_at: "2026-01-01T00:00:00Z".into(),
        version: 1,
        parent_draft_id: String::new(),
    }
}

fn brief(persona: &str, stage: &str, trigger: &str) -> AccountBrief {
    AccountBrief {
        persona: persona.into(),
        stage: stage.into(),
        trigger: Trigger {
            kind: trigger.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn sent(meeting: bool, replied: bool) -> DraftOutcome {
    DraftOutcome {
        sent_at: Some(DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap()),
        delivered: true,
        replied,
        meeting_booked: meeting,
        ..Default::default()
    }
}

#[test]
fn component_roles_come_from_id_prefixes() {
    assert!(has_role("cta-book-demo", "cta"));
    assert!(has_role("cta_audit", "cta"));
    assert!(has_role("cta", "cta"));
    assert!(!has_role("ctaxyz", "cta"));
    assert!(!has_role("persona-cta-lover", "cta"));
    assert!(has_role("opener-trigger-recap", "opener"));
}

#[test]
fn every_dimension_reads_the_right_field() {
    let d = draft(
        "1",
        Channel::LinkedinMessage,
        vec![
            item(ItemKind::Prompt, "linkedin_message", "1.2.0"),
            item(ItemKind::Component, "persona-ciso", "1.0.0"),
            item(ItemKind::Component, "opener-trigger-recap", "2.0.0"),
            item(ItemKind::Component, "cta-book-demo", "1.1.0"),
            item(ItemKind::Component, "stage-evaluating", "1.0.0"),
            item(ItemKind::Proof, "pp-a", "1.0.0"),
            item(ItemKind::Proof, "pp-b", "3.0.0"),
            item(ItemKind::Policy, "red_lines", "1.0.0"),
        ],
        "genai-vs-baseline",
        "genai",
    );
    let b = brief(" CISO ", "evaluating", "security_hiring");
    let keys = |by| group_keys(by, &d, Some(&b));
    assert_eq!(keys(GroupBy::PromptVersion), ["linkedin_message@1.2.0"]);
    assert_eq!(keys(GroupBy::Channel), ["linkedin_message"]);
    assert_eq!(keys(GroupBy::Persona), ["ciso"]);
    assert_eq!(keys(GroupBy::Stage), ["evaluating"]);
    assert_eq!(keys(GroupBy::TriggerKind), ["security_hiring"]);
    assert_eq!(keys(GroupBy::Cta), ["cta-book-demo@1.1.0"]);
    assert_eq!(keys(GroupBy::Opener), ["opener-trigger-recap@2.0.0"]);
    assert_eq!(keys(GroupBy::Proof), ["pp-a@1.0.0", "pp-b@3.0.0"]);
    assert_eq!(keys(GroupBy::ExperimentArm), ["genai-vs-baseline/genai"]);

    let bare = draft("2", Channel::Email, vec![], "", "");
    for by in GroupBy::ALL {
        let k = group_keys(by, &bare, None);
        if by == GroupBy::Channel {
            assert_eq!(k, ["email"]);
        } else {
            assert_eq!(k, [NONE_KEY], "{by:?}");
        }
    }
}

#[test]
fn counts_per_group_are_exact_and_filters_apply() {
    let cta = |id: &str| {
        vec![
            item(ItemKind::Component, id, "1.0.0"),
            item(ItemKind::Proof, "pp-a", "1.0.0"),
        ]
    };
    let drafts = [
        draft("a", Channel::Email, cta("cta-demo"), "x", "baseline"),
        draft("b", Channel::Email, cta("cta-demo"), "x", "genai"),
        draft("c", Channel::CallScript, cta("cta-audit"), "x", "genai"),
        draft("d", Channel::Email, cta("cta-audit"), "", ""),
        draft("e", Channel::Email, cta("cta-audit"), "", ""),
    ];
    let outcomes = [
        sent(true, true),
        sent(false, true),
        sent(false, false),
        sent(true, true),
        // Released but never sent: not in any denominator.
        DraftOutcome::default(),
    ];
    let rows = || {
        drafts.iter().zip(outcomes).map(|(d, o)| Row {
            draft: d,
            brief: None,
            outcome: o,
        })
    };
    let perf = aggregate::performance(GroupBy::Cta, &Filter::default(), rows());
    assert_eq!(perf.overall.drafts_sent, 4);
    let keys: Vec<_> = perf
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.drafts_sent))
        .collect();
    assert_eq!(keys, [("cta-audit@1.0.0", 2), ("cta-demo@1.0.0", 2)]);
    let demo = &perf.groups[1];
    assert_eq!(demo.rate(Metric::MeetingBooked).estimate.successes, 1);
    assert_eq!(demo.rate(Metric::Replied).estimate.successes, 2);
    assert_eq!(
        demo.rates[0].metric,
        Metric::MeetingBooked,
        "downstream first"
    );

    let only_x = Filter {
        experiment: Some("x".into()),
        channel: Some(Channel::Email),
        ..Filter::default()
    };
    let perf = aggregate::performance(GroupBy::ExperimentArm, &only_x, rows());
    let keys: Vec<_> = perf
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.drafts_sent))
        .collect();
    assert_eq!(keys, [("x/baseline", 1), ("x/genai", 1)]);

    let lift = aggregate::lift(
        "x",
        "baseline",
        "genai",
        &[Metric::MeetingBooked],
        &Filter::default(),
        rows(),
    );
    let m = &lift.lifts[0];
    assert_eq!(
        (m.control.estimate.successes, m.control.estimate.trials),
        (1, 1)
    );
    assert_eq!(
        (m.treatment.estimate.successes, m.treatment.estimate.trials),
        (0, 2)
    );
    assert_eq!(m.difference, -1.0);
}

#[test]
fn assignment_is_deterministic_and_respects_the_share() {
    let exp = Experiment::new("genai-vs-baseline", 0.2, "baseline", "genai", &[], &[]).unwrap();
    let again = Experiment::new("genai-vs-baseline", 0.2, "baseline", "genai", &[], &[]).unwrap();
    let other = Experiment::new("other", 0.5, "version:1.2.0", "version:1.3.0", &[], &[]).unwrap();
    let n = 10_000;
    let (mut holdout, mut both) = (0, 0);
    for i in 0..n {
        let account = format!("acct-{i:05}");
        let a = exp.assign(&account);
        assert_eq!(a, again.assign(&account), "same account, same arm");
        assert_eq!(a, exp.assign(&account));
        assert_eq!(a.arm, if a.holdout { "baseline" } else { "genai" });
        holdout += u64::from(a.holdout);
        both += u64::from(a.holdout && other.assign(&account).holdout);
    }
    let share = holdout as f64 / n as f64;
    assert!((0.185..=0.215).contains(&share), "holdout share {share}");
    // Independent experiments: about 0.2 × 0.5 of accounts are in both holdouts.
    let joint = both as f64 / n as f64;
    assert!((0.085..=0.115).contains(&joint), "joint share {joint}");
}

#[test]
fn only_the_active_experiment_in_scope_assigns() {
    let scoped = Experiment::new(
        "ciso-only",
        0.5,
        "baseline",
        "genai",
        &["CISO".to_string()],
        &["security_hiring".to_string()],
    )
    .unwrap();
    let ex = Experiments {
        active: Some(scoped),
        inactive: vec![],
    };
    let mut b = brief("ciso", "evaluating", "security_hiring");
    b.account_name = "Acme".into();
    let a = ex.assign(&b).expect("in scope");
    assert_eq!(a.experiment, "ciso-only");
    b.persona = "cfo".into();
    assert_eq!(ex.assign(&b), None);
    assert_eq!(Experiments::default().assign(&b), None);
}
