//! Data-driven rule tests: every policy rule's `must_flag` examples fire and
//! its `must_pass` examples do not (like a prose linter's rule tests), plus
//! policy-loading behaviour.

use proofline::checks::{CheckPolicies, Pipeline};

#[test]
fn bundled_policies_parse() {
    let p = CheckPolicies::bundled();
    assert!(p.red_lines.len() >= 6);
    assert!(p.tone_patterns.len() >= 3);
    assert!(
        p.red_lines_meta.is_trusted()
            && p.voice_meta.is_trusted()
            && p.channel_limits_meta.is_trusted()
    );
}

#[test]
fn every_rule_example_holds() {
    let pipeline = Pipeline::bundled();
    let fails = pipeline.verify_examples();
    let msg: Vec<String> = fails.iter().map(ToString::to_string).collect();
    assert!(
        fails.is_empty(),
        "{} rule examples fail:\n{}",
        fails.len(),
        msg.join("\n")
    );
}

#[test]
fn every_pattern_rule_has_examples_and_semver() {
    let p = CheckPolicies::bundled();
    for r in p.rules() {
        assert_eq!(r.version.split('.').count(), 3, "{}", r.id);
        if !r.id.starts_with("tone.length.") {
            assert!(
                !r.must_flag.is_empty() && !r.must_pass.is_empty(),
                "{} lacks examples",
                r.id
            );
        }
    }
}

#[test]
fn example_runner_can_fail() {
    // a non-example must not be reported as firing, and unknown rules are None
    let pipeline = Pipeline::bundled();
    assert_eq!(
        pipeline.example_fires("tone.exclamation", "No bang here."),
        Some(false)
    );
    assert_eq!(
        pipeline.example_fires("tone.exclamation", "Bang!"),
        Some(true)
    );
    assert_eq!(pipeline.example_fires("no.such.rule", "x"), None);
}

const RL: &str = include_str!("../policies/red_lines.toml");
const VO: &str = include_str!("../policies/voice.toml");
const CL: &str = include_str!("../policies/channel_limits.toml");

#[test]
fn every_problem_is_reported_with_location() {
    // break a regex in red lines, a version in voice and a limit in channel limits
    let rl = RL.replacen(r"\bguarantee(s|d|ing)?\b", r"\bguarantee(s|d|ing?\b", 1);
    let vo = VO.replacen(
        "id = \"tone.hype\"\nversion = \"1.0.0\"",
        "id = \"tone.hype\"\nversion = \"1.0\"",
        1,
    );
    let cl = CL.replacen("max = 150", "max = 0", 1);
    assert_ne!(rl, RL);
    assert_ne!(vo, VO);
    assert_ne!(cl, CL);
    let errs = CheckPolicies::from_sources(&rl, &vo, &cl).unwrap_err();
    assert!(errs.len() >= 3, "{errs:?}");
    let guarantee = errs
        .iter()
        .find(|e| e.rule_id.as_deref() == Some("red_line.guarantee"))
        .expect("regex error names its rule");
    assert_eq!(guarantee.file, "policies/red_lines.toml");
    assert!(guarantee.line.is_some());
    assert!(
        errs.iter()
            .any(|e| e.rule_id.as_deref() == Some("tone.hype") && e.message.contains("semver"))
    );
    assert!(
        errs.iter()
            .any(|e| e.file == "policies/channel_limits.toml")
    );
}

#[test]
fn toml_syntax_errors_carry_line_and_col() {
    let bad = RL.replacen("severity = \"blocking\"", "severity = blocking", 1);
    let errs = CheckPolicies::from_sources(&bad, VO, CL).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].line.is_some() && errs[0].col.is_some(),
        "{:?}",
        errs[0]
    );
}

#[test]
fn duplicate_rule_ids_are_rejected() {
    let vo = VO.replacen("id = \"tone.pressure\"", "id = \"tone.hype\"", 1);
    let errs = CheckPolicies::from_sources(RL, &vo, CL).unwrap_err();
    assert!(
        errs.iter().any(|e| e.message.contains("duplicate")),
        "{errs:?}"
    );
}
