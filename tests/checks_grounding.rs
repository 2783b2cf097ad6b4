//! Behaviour tests for the grounding rules, on briefs and proofs unlike the
//! dev set (other vendors, currencies, certifications).

use proofline::checks::{CheckInput, Pipeline};
use proofline::model::{
    AccountBrief, Channel, CheckKind, DraftText, Finding, Initiative, ProofFact, Sender, Trigger,
};

fn brief() -> AccountBrief {
    AccountBrief {
        account_name: "Kallio Logistics Oy".into(),
        industry: "Logistics".into(),
        region: "Europe".into(),
        tier: 2,
        persona: "CFO".into(),
        stage: "problem_aware".into(),
        trigger: Trigger {
            kind: "funding_announced".into(),
            summary: "Raised a €32M growth round".into(),
            occurred_on: "2026-09-03".into(),
        },
        known_initiatives: vec![Initiative {
            text: "Opening two cross-dock hubs in Tampere and Oulu by Q2 2027".into(),
            source_url: "https://example.org/kallio".into(),
            observed_on: "2026-09-03".into(),
        }],
        intent_topics: vec!["PCI DSS".into()],
        recent_engagement: vec![
            "Attended webinar 'Card data in the warehouse' on 2026-10-14".into(),
        ],
        hypotheses: vec!["May be consolidating its payment gateways".into()],
        cta_offers: vec!["25-minute payments review".into()],
        sender: Sender {
            name: "Ilse Marten".into(),
            title: "Account Executive".into(),
            company: "Northbeam Pay".into(),
        },
        ..Default::default()
    }
}

fn proofs() -> Vec<ProofFact> {
    vec![
        ProofFact {
            id: "pp-orbit".into(),
            text: "Orbit Freight cut chargeback handling time by 28% in two quarters with Northbeam Pay.".into(),
            source: "Orbit Freight case study, 2025".into(),
        },
        ProofFact {
            id: "pp-nb-pci".into(),
            text: "Northbeam Pay is certified as a PCI DSS Level 1 service provider.".into(),
            source: "Northbeam Pay attestation of compliance, 2026".into(),
        },
    ]
}

fn run(body: &str) -> Vec<Finding> {
    let b = brief();
    let p = proofs();
    let comps = vec!["Gatewise".to_string()];
    let draft = DraftText {
        subject: None,
        body: body.into(),
    };
    let input = CheckInput {
        channel: Channel::LinkedinMessage,
        brief: &b,
        proofs: &p,
        competitors: &comps,
        draft: &draft,
    };
    Pipeline::bundled()
        .run(&input)
        .into_iter()
        .filter(|f| f.check == CheckKind::Grounding)
        .collect()
}

fn flags(body: &str) -> bool {
    run(body).iter().any(Finding::is_blocking)
}

#[test]
fn sourced_figures_in_other_forms_pass() {
    for ok in [
        "Congratulations on the €32M growth round.",
        "Congratulations on the €32 million round.",
        "Orbit Freight cut chargeback handling time by 28 percent in two quarters.",
        "With hubs opening in Tampere and Oulu by Q2 2027, card data will move through more sites.",
        "Thanks for joining our webinar on 14 October.",
        "Would a 25-minute payments review help?",
        "Northbeam Pay is a PCI DSS Level 1 service provider.",
    ] {
        assert!(!flags(ok), "should pass: {ok}: {:#?}", run(ok));
    }
}

#[test]
fn altered_or_invented_figures_flag() {
    for bad in [
        "Congratulations on the €23M growth round.",
        "Orbit Freight cut chargeback handling time by 38% in two quarters.",
        "Hubs open in Tampere and Oulu by Q3 2027.",
        "Over 400 logistics firms run on Northbeam Pay.",
    ] {
        assert!(flags(bad), "should flag: {bad}");
    }
}

#[test]
fn figure_moved_to_another_subject_or_outcome_flags() {
    let f = run("Orbit Freight cut payment fraud by 28% in two quarters.");
    assert!(
        f.iter().any(|x| x.rule_id == "grounding.figure_binding"),
        "{f:#?}"
    );
    assert!(
        f[0].evidence.contains("proofs[pp-orbit]"),
        "{}",
        f[0].evidence
    );
    let f = run("Lindqvist Haulage cut chargeback handling time by 28% in two quarters.");
    assert!(f.iter().any(|x| x.check == CheckKind::Grounding), "{f:#?}");
}

#[test]
fn invented_certifications_customers_and_stack_flag() {
    for bad in [
        "Northbeam Pay is also HITRUST certified.",
        "We are ISO 42001 certified as well.",
        "We work with Orbit Freight and Baltic Carriers on chargebacks.",
        "Since your orders flow through Shopify and NetSuite, reconciliation is manual.",
        "We were named a Leader in the 2026 Corvid Wave for payments.",
    ] {
        assert!(flags(bad), "should flag: {bad}");
    }
}

#[test]
fn hypothesis_as_fact_flags_but_question_passes() {
    assert!(flags(
        "As Kallio consolidates its payment gateways, reconciliation gets harder."
    ));
    assert!(!flags(
        "Are you consolidating payment gateways as the hubs open?"
    ));
}

#[test]
fn general_statements_and_own_names_pass() {
    for ok in [
        "Hi Aino,\n\nMany finance teams find chargebacks pile up as sites are added.",
        "Thanks for connecting, Aino.",
        "Ilse Marten\nAccount Executive, Northbeam Pay",
        "Do you have two minutes this week?",
        "Kallio Logistics is growing quickly in Europe.",
    ] {
        assert!(!flags(ok), "should pass: {ok}: {:#?}", run(ok));
    }
}
