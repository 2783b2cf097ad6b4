//! Property tests for the parsers that take outside input: brief JSON and
//! library files. Whatever the input: no panic, and a refusal names where.

mod common;

use common::copy_dir;

use proofline::brief::{self, Screening};
use proofline::library::Library;
use proofline::model::{AccountBrief, Initiative, Sender, Trigger};
use proptest::prelude::*;

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 .,'@+()-]{0,80}",
        Just(String::new()),
        "\\PC{0,700}",
    ]
}

prop_compose! {
    fn any_brief()(
        name in any_text(), industry in any_text(), region in any_text(), tier in 0u32..6,
        persona in any_text(), stage in prop_oneof![Just("unaware".to_string()), any_text()],
        kind in prop_oneof![Just("job_change".to_string()), any_text()], summary in any_text(),
        date in prop_oneof![Just("2026-11-01".to_string()), any_text()],
        inits in prop::collection::vec((any_text(), any_text(), any_text()), 0..12),
        lists in prop::collection::vec(prop::collection::vec(any_text(), 0..12), 5),
        sender in (any_text(), any_text(), any_text()),
    ) -> AccountBrief {
        AccountBrief {
            account_id: String::new(),
            account_name: name, industry, region, tier, persona, stage,
            trigger: Trigger { kind, summary, occurred_on: date },
            known_initiatives: inits.into_iter().map(|(text, source_url, observed_on)| Initiative { text, source_url, observed_on }).collect(),
            intent_topics: lists[0].clone(), recent_engagement: lists[1].clone(), hypotheses: lists[2].clone(),
            proof_point_ids: lists[3].clone(), cta_offers: lists[4].clone(),
            sender: Sender { name: sender.0, title: sender.1, company: sender.2 },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Validation never panics, and every violation names a brief field.
    #[test]
    fn validate_never_panics_and_names_fields(b in any_brief()) {
        if let Err(vs) = brief::validate(&b, Screening::Full, chrono::NaiveDate::from_ymd_opt(2026, 12, 1)) {
            prop_assert!(!vs.is_empty());
            for v in vs {
                prop_assert!(v.field.starts_with("brief"), "{}", v.field);
                prop_assert!(!v.message.is_empty());
            }
        }
    }

    /// Arbitrary bytes as brief JSON: an error names a path, never a panic.
    #[test]
    fn brief_json_never_panics(text in prop_oneof![any::<String>(), "\\{\"account_name\": ?\\PC{0,60}\\}"]) {
        let de = &mut serde_json::Deserializer::from_str(&text);
        let r: Result<AccountBrief, _> = serde_path_to_error::deserialize(de);
        if let Err(e) = r {
            prop_assert!(!e.inner().to_string().is_empty());
        }
    }

    /// Mutations of a valid brief's JSON (a field dropped or retyped) give an
    /// error naming that field, or a brief that validation judges.
    #[test]
    fn mutated_brief_json_names_the_field(field in prop::sample::select(vec!["account_name", "industry", "tier", "persona", "stage", "trigger", "sender"]), replacement in prop_oneof![Just(serde_json::Value::Null), Just(serde_json::json!(42)), Just(serde_json::json!(["x"])), Just(serde_json::json!({"k": 1}))]) {
        let (_, b) = common::example_briefs().into_iter().next().unwrap();
        let mut v = serde_json::to_value(&b).unwrap();
        v[field] = replacement;
        let text = v.to_string();
        let de = &mut serde_json::Deserializer::from_str(&text);
        match serde_path_to_error::deserialize::<_, AccountBrief>(de) {
            Err(e) => prop_assert!(e.path().to_string().starts_with(field), "{} for {field}", e.path()),
            Ok(parsed) => { let _ = brief::validate(&parsed, Screening::Full, None); }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Arbitrary text as a library file: the loader reports errors with a
    /// path and position; it never panics and never loads half a library.
    #[test]
    fn library_file_garbage_is_an_error_with_a_position(text in prop_oneof![
        any::<String>(),
        "\\[meta\\]\nid = \"[a-z.]{1,12}\"\nversion = \"[0-9.]{1,6}\"\n\\PC{0,120}",
        "\\[block\\]\n\\PC{0,200}",
    ], target in prop::sample::select(vec!["prompts/blocks/ctas/soft.toml", "proof-library/pp-harrow-keys.toml", "policies/voice.toml", "prompts/channels/email/1.0.0.toml"])) {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["prompts", "proof-library", "policies"] {
            copy_dir(&common::repo().join(sub), &dir.path().join(sub));
        }
        std::fs::write(dir.path().join(target), &text).unwrap();
        match Library::load(dir.path()) {
            Ok(lib) => {
                // Garbage that happens to be a valid item still yields a whole library.
                prop_assert!(lib.items().count() > 10);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    let line = e.to_string();
                    let mut parts = line.splitn(4, ':');
                    let (path, l, c) = (parts.next().unwrap(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    prop_assert!(!path.is_empty(), "{line}");
                    prop_assert!(l.trim().parse::<usize>().is_ok() && c.trim().parse::<usize>().is_ok(), "no position: {line}");
                }
            }
        }
    }
}
