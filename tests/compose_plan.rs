//! Planning (version, block and proof selection), the LLM-facing prompt spec,
//! and rendering slots that did not come from the offline composer.

use chrono::NaiveDate;
use proofline::compose::{self, ComposeError, Selection, SkipReason, Slots};
use proofline::library::Library;
use proofline::model::{AccountBrief, Channel, ItemKind};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn example(name: &str) -> AccountBrief {
    let p = format!("{}/examples/briefs/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn personas_map_from_free_text_with_a_generic_fallback() {
    let lib = Library::bundled();
    let mut brief = example("quillmark-vp-revops");
    for (persona, block) in [
        ("VP RevOps", "persona.vp_revops"),
        ("VP, Revenue Operations", "persona.vp_revops"),
        ("ciso", "persona.ciso"),
        ("Deputy CISO, EMEA", "persona.ciso"),
        ("Chief Financial Officer", "persona.cfo"),
        ("Head of Data", "persona.head_of_data"),
        ("Senior Compliance Manager", "persona.compliance_manager"),
        ("IT Director", "persona.it_director"),
        ("Procurement Lead", "persona.procurement_lead"),
        ("Chief Happiness Officer", "persona.generic"),
        ("", "persona.generic"),
    ] {
        brief.persona = persona.into();
        let plan = compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::production(today()),
        )
        .unwrap();
        assert_eq!(plan.persona.id, block, "{persona:?}");
    }
}

#[test]
fn stages_triggers_and_industries_select_their_blocks() {
    let lib = Library::bundled();
    let mut brief = example("fennick-it-director");
    for stage in ["unaware", "problem_aware", "evaluating", "validating"] {
        brief.stage = stage.into();
        let plan = compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::production(today()),
        )
        .unwrap();
        assert_eq!(plan.stage_block.id, format!("stage.{stage}"));
    }
    brief.stage = "someday".into();
    assert!(matches!(
        compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::production(today())
        ),
        Err(ComposeError::InvalidStage { .. })
    ));
    brief.stage = "unaware".into();
    for (kind, block, third) in [
        ("webinar_attended", "trigger.webinar_attended", false),
        ("intent_surge", "trigger.intent_surge", true),
        (
            "competitor_comparison",
            "trigger.competitor_comparison",
            true,
        ),
        ("renewal_window", "trigger.renewal_window", false),
        ("g2_category_visit", "trigger.generic", true),
    ] {
        brief.trigger.kind = kind.into();
        let plan = compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::production(today()),
        )
        .unwrap();
        assert_eq!(
            (plan.trigger.id.as_str(), plan.third_party_trigger),
            (block, third),
            "{kind}"
        );
    }
    brief.industry = "Underwater basket weaving".into();
    // The proofs are not allowed for that industry; a message needs none.
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::LinkedinMessage,
        &Selection::production(today()),
    )
    .unwrap();
    assert!(plan.proofs.is_empty());
    assert_eq!(plan.industry.id, "industry.generic");
}

#[test]
fn expired_and_disallowed_proofs_are_skipped() {
    let lib = Library::bundled();
    let mut brief = example("corran-head-of-data");
    brief.proof_point_ids = vec![
        "pp-caldera-audit-2024".into(),
        "pp-orchard-pci".into(),
        "pp-caldera-reviews".into(),
    ];
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    assert_eq!(
        plan.proofs
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["pp-caldera-reviews"]
    );
    assert!(matches!(
        plan.skipped_proofs[0].reason,
        SkipReason::Expired { .. }
    ));
    assert!(matches!(
        plan.skipped_proofs[1].reason,
        SkipReason::NotAllowed { field: "industry" }
    ));

    // Only the expired proof: an email cannot go out, a LinkedIn message can.
    brief.proof_point_ids = vec!["pp-caldera-audit-2024".into()];
    let err = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap_err();
    assert!(
        matches!(err, ComposeError::NotEnoughProofs { found: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("expired"), "{err}");
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::LinkedinMessage,
        &Selection::production(today()),
    )
    .unwrap();
    assert!(plan.proofs.is_empty());
    let slots = compose::offline_slots(&lib, &plan, &brief).unwrap();
    let d = compose::render(&lib, &plan, &brief, &slots).unwrap();
    assert!(!d.body.contains("Caldera"), "{}", d.body);

    brief.proof_point_ids = vec!["pp-does-not-exist".into()];
    assert!(matches!(
        compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::production(today())
        ),
        Err(ComposeError::UnknownProof { .. })
    ));
}

#[test]
fn candidate_items_are_used_but_not_trusted() {
    let lib = Library::bundled();
    let mut brief = example("quillmark-vp-revops");
    brief.proof_point_ids = vec!["pp-tidewater-pentest".into()];
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    let used = lib.used_item(&plan.proofs[0]).unwrap();
    assert!(!used.trusted, "a candidate proof must route to review");

    let brief = example("quillmark-vp-revops");
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::label("candidate", today()),
    )
    .unwrap();
    assert_eq!(plan.prompt.version, "1.1.0");
    assert_eq!(
        plan.persona.version, "1.0.0",
        "components fall back to production"
    );
    let pinned = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::pinned("1.1.0", today()),
    )
    .unwrap();
    assert_eq!(pinned.prompt, plan.prompt);
    let slots = compose::offline_slots(&lib, &plan, &brief).unwrap();
    let cand = compose::render(&lib, &plan, &brief, &slots).unwrap();
    let prod_plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    let prod = compose::render(
        &lib,
        &prod_plan,
        &brief,
        &compose::offline_slots(&lib, &prod_plan, &brief).unwrap(),
    )
    .unwrap();
    assert_ne!(
        cand.body, prod.body,
        "the candidate template orders parts differently"
    );
    assert!(matches!(
        compose::plan(
            &lib,
            &brief,
            Channel::CallScript,
            &Selection::label("candidate", today())
        ),
        Err(ComposeError::NoPrompt { .. })
    ));
    assert!(matches!(
        compose::plan(
            &lib,
            &brief,
            Channel::Email,
            &Selection::pinned("3.0.0", today())
        ),
        Err(ComposeError::NoPrompt { .. })
    ));
}

#[test]
fn plan_lists_every_item_version_used() {
    let lib = Library::bundled();
    let brief = example("merrow-compliance");
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::LandingPage,
        &Selection::production(today()),
    )
    .unwrap();
    let kinds: Vec<ItemKind> = plan.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == ItemKind::Prompt).count(), 2);
    assert_eq!(
        kinds.iter().filter(|k| **k == ItemKind::Component).count(),
        6
    );
    assert_eq!(kinds.iter().filter(|k| **k == ItemKind::Proof).count(), 3);
    for r in &plan.items {
        assert!(lib.used_item(r).is_some(), "{r:?}");
    }
}

#[test]
fn system_prompt_is_byte_identical_across_briefs() {
    let lib = Library::bundled();
    let a = example("quillmark-vp-revops");
    let b = example("ashgrove-ciso");
    for channel in Channel::ALL {
        let pa = compose::plan(&lib, &a, channel, &Selection::production(today())).unwrap();
        let pb = compose::plan(&lib, &b, channel, &Selection::production(today())).unwrap();
        let sa = compose::prompt_spec(&lib, &pa, &a).unwrap();
        let sb = compose::prompt_spec(&lib, &pb, &b).unwrap();
        assert_eq!(sa.system.as_bytes(), sb.system.as_bytes());
        assert!(!sa.system.contains(&a.account_name));
        assert_ne!(sa.data, sb.data);
        assert_eq!(sa.items, pa.items);
    }
}

#[test]
fn prompt_spec_keeps_data_apart_and_withholds_signals() {
    let lib = Library::bundled();
    let brief = example("bellhaven-cfo");
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    let spec = compose::prompt_spec(&lib, &plan, &brief).unwrap();
    assert!(spec.data.starts_with("<brief_data>\n") && spec.data.contains("</brief_data>"));
    let json = &spec.data["<brief_data>\n".len()..spec.data.find("\n</brief_data>").unwrap()];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["account_name"], "Bellhaven Retail Group");
    assert!(
        !spec.data.contains("Third-party intent surge"),
        "third-party summary withheld"
    );
    assert!(
        !spec.data.contains("Ironvale alternatives"),
        "research topics withheld"
    );
    // The approved proof is fixed data, labelled as verbatim.
    let proof = lib.proof(&plan.proofs[0].id).unwrap();
    assert!(spec.data.contains(&proof.text));
    assert!(spec.data.contains("verbatim"));
    // Channel part: instructions and both kinds of example.
    assert!(spec.channel.contains("# Good example") && spec.channel.contains("# Bad example"));
    assert!(spec.channel.contains("Why:"));
    // Strict schema: the channel's slots and a claim log.
    let s = &spec.slots_schema;
    assert_eq!(s["additionalProperties"], false);
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for slot in ["subject", "opener", "proof_intro", "cta", "claims"] {
        assert!(required.contains(&slot), "{slot} not required");
    }
    assert!(s["properties"]["claims"]["items"]["properties"]["source"]["pattern"].is_string());

    let tracked = example("ashgrove-ciso");
    let plan = compose::plan(
        &lib,
        &tracked,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    let spec = compose::prompt_spec(&lib, &plan, &tracked).unwrap();
    assert!(
        !spec.data.contains("web analytics"),
        "tracked engagement withheld"
    );
    assert!(spec.data.contains("Attended webinar"));
}

#[test]
fn slots_from_a_generator_render_through_the_same_template() {
    let lib = Library::bundled();
    let brief = example("fennick-it-director");
    let plan = compose::plan(
        &lib,
        &brief,
        Channel::Email,
        &Selection::production(today()),
    )
    .unwrap();
    let json = r#"{
        "subject": "Leaver access at Fennick Logistics",
        "greeting": "Hello,",
        "opener": "I saw that Fennick Logistics posted openings for an identity engineer and a GRC analyst.",
        "proof_intro": "A comparable result:",
        "cta": "Would a short written summary be useful?",
        "claims": [{"text": "posted openings for an identity engineer and a GRC analyst", "source": "brief.trigger"}]
    }"#;
    let slots: Slots = serde_json::from_str(json).unwrap();
    let d = compose::render(&lib, &plan, &brief, &slots).unwrap();
    assert_eq!(
        d.subject.as_deref(),
        Some("Leaver access at Fennick Logistics")
    );
    let proof = lib.proof(&plan.proofs[0].id).unwrap();
    assert!(
        d.body
            .contains(&format!("A comparable result: {}", proof.text)),
        "{}",
        d.body
    );
    assert!(!d.body.contains("\n\n\n"));

    // A slot the channel needs is missing.
    let mut thin = slots.clone();
    thin.cta.clear();
    assert!(matches!(
        compose::render(&lib, &plan, &brief, &thin),
        Err(ComposeError::MissingSlot { .. })
    ));
    // Unknown fields are rejected, not ignored.
    assert!(serde_json::from_str::<Slots>(r#"{"opener": "x", "proof": "y"}"#).is_err());
    // Template syntax in a slot is printed as text, never evaluated.
    let mut sneaky = slots;
    sneaky.opener = "{{ sender.name }}".into();
    let d = compose::render(&lib, &plan, &brief, &sneaky).unwrap();
    assert!(d.body.contains("{{ sender.name }}"));
}
