//! Property tests: arbitrary UTF-8 drafts never panic, and every finding's
//! span lies inside its part on char boundaries with the excerpt equal to
//! the slice.

use proofline::checks::{CheckInput, Pipeline};
use proofline::model::{AccountBrief, Channel, DraftText, Finding, ProofFact, Sender, Trigger};
use proptest::prelude::*;
use std::sync::OnceLock;

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(Pipeline::bundled)
}

fn brief() -> AccountBrief {
    AccountBrief {
        account_name: "Brightwater Health System".into(),
        industry: "Healthcare".into(),
        tier: 1,
        persona: "CISO".into(),
        stage: "evaluating".into(),
        trigger: Trigger {
            kind: "webinar_attended".into(),
            summary: "Attended webinar 'Zero-trust for clinical data'".into(),
            occurred_on: "2026-11-12".into(),
        },
        hypotheses: vec!["May be evaluating Rivalsoft as an alternative".into()],
        sender: Sender {
            name: "Maya Chen".into(),
            title: "Account Executive".into(),
            company: "Example Security".into(),
        },
        ..Default::default()
    }
}

fn check_spans(draft: &DraftText, findings: &[Finding]) -> Result<(), TestCaseError> {
    for f in findings {
        let text = draft.part(f.span.part);
        prop_assert!(f.span.start < f.span.end, "empty span {:?}", f);
        prop_assert!(f.span.end <= text.len(), "span past end {:?}", f);
        prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        prop_assert_eq!(&text[f.span.start..f.span.end], f.excerpt.as_str());
    }
    Ok(())
}

fn run(channel: Channel, draft: &DraftText) -> Vec<Finding> {
    let b = brief();
    let proofs = vec![ProofFact {
        id: "pp-x".into(),
        text: "Contoso Bank cut audit preparation time by 40% in six months with Example Security Audit.".into(),
        source: "Contoso case study, 2025".into(),
    }];
    let comps = vec!["Rivalsoft".to_string(), "é".to_string()];
    let input = CheckInput {
        channel,
        brief: &b,
        proofs: &proofs,
        competitors: &comps,
        draft,
    };
    pipeline().run(&input)
}

const WORDS: &[&str] = &[
    "Hi",
    "Dana",
    ",",
    ".",
    "!",
    "?",
    "\n",
    "- ",
    "$45M",
    "40%",
    "forty",
    "percent",
    "six",
    "months",
    "2026-11-12",
    "12 November",
    "Q3",
    "2027",
    "spring",
    "Rivalsoft",
    "is",
    "clunky",
    "unlike",
    "GUARANTEE",
    "guarantee",
    "no",
    "tool",
    "can",
    "I",
    "saw",
    "you",
    "visited",
    "our",
    "pricing",
    "page",
    "Contoso",
    "Bank",
    "cut",
    "audit",
    "by",
    "Nordbridge",
    "Mutual",
    "SOC 2",
    "certified",
    "{{first_name}}",
    "é",
    "ü",
    "Wrocław",
    "€18M",
    "’",
    "'",
    "—",
    "baby",
    "They",
    "FedRAMP",
    "named",
    "a",
    "Leader",
    "in",
    "the",
    "2026",
    "Wave",
    "\u{0}",
    "\u{1}",
    "\u{2}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(subject in ".{0,80}", body in "(?s).{0,400}") {
        let draft = DraftText { subject: Some(subject), body };
        let f = run(Channel::Email, &draft);
        check_spans(&draft, &f)?;
    }

    #[test]
    fn word_salad_spans_are_valid(words in proptest::collection::vec(proptest::sample::select(WORDS), 0..120), ch in 0usize..5) {
        let body = words.join(" ");
        let draft = DraftText { subject: None, body };
        let f = run(Channel::ALL[ch], &draft);
        check_spans(&draft, &f)?;
    }
}

#[test]
fn spans_are_checked_for_real() {
    // The property can fail: a known-bad draft yields findings whose spans we verify.
    let draft = DraftText {
        subject: Some("GUARANTEED results!".into()),
        body: "Hi {{first_name}}, unlike Rivalsoft we are 100% secure. Nordbridge Mutual cut costs by 52%!".into(),
    };
    let f = run(Channel::Email, &draft);
    assert!(f.len() >= 5, "{f:#?}");
    assert!(
        f.iter()
            .any(|x| x.span.part == proofline::model::TextPart::Subject)
    );
    for x in &f {
        assert_eq!(
            &draft.part(x.span.part)[x.span.start..x.span.end],
            x.excerpt
        );
    }
    // sorted by part then start
    let keys: Vec<(u8, usize)> = f
        .iter()
        .map(|x| {
            (
                matches!(x.span.part, proofline::model::TextPart::Body) as u8,
                x.span.start,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}
