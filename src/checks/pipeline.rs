//! The pipeline: the three checks, built once from the policies, run in
//! order over one draft. Findings come back sorted by part (subject first),
//! then span start.

use super::grounding::{GroundingCheck, GroundingFacts};
use super::policy::{CheckPolicies, ExampleContext, RuleInfo};
use super::redline::RedLineCheck;
use super::scan::{
    Candidates, NameMasker, RuleFilter, competitor_names, draft_views_masked, merge_competitors,
    own_names, views,
};
use super::tone::ToneCheck;
use super::{Check, CheckInput};
use crate::model::{
    AccountBrief, Channel, CheckKind, DraftText, Finding, ProofFact, Sender, TextPart,
};

/// All three checks, compiled once. Cheap to share (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct Pipeline {
    grounding: GroundingCheck,
    red_line: RedLineCheck,
    tone: ToneCheck,
    /// Red-line rules, then tone pattern rules, in one set.
    filter: RuleFilter,
    policy_competitors: Vec<String>,
    examples: ExampleContext,
    rules: Vec<RuleInfo>,
}

/// A rule example that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub example: String,
    /// `true` for a `must_flag` example that did not fire, `false` for a
    /// `must_pass` example that did.
    pub expected_flag: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.expected_flag {
            write!(
                f,
                "[{}] must_flag did not fire: {:?}",
                self.rule_id, self.example
            )
        } else {
            write!(f, "[{}] must_pass fired: {:?}", self.rule_id, self.example)
        }
    }
}

fn part_order(p: TextPart) -> u8 {
    match p {
        TextPart::Subject => 0,
        TextPart::Body => 1,
    }
}

impl Pipeline {
    pub fn new(policies: &CheckPolicies) -> Pipeline {
        let red_line = RedLineCheck::new(policies);
        let tone = ToneCheck::new(policies);
        let filter = RuleFilter::new(red_line.rules().iter().chain(tone.patterns()));
        Pipeline {
            grounding: GroundingCheck::new(),
            red_line,
            tone,
            filter,
            policy_competitors: policies.competitors.clone(),
            examples: policies.examples.clone(),
            rules: policies.rules(),
        }
    }

    /// The bundled policies' pipeline.
    pub fn bundled() -> Pipeline {
        Pipeline::new(&CheckPolicies::bundled())
    }

    /// Run grounding, red-line and tone checks. Findings are sorted by part
    /// (subject, then body), span start, span end, check and rule id.
    ///
    /// Builds the facts table for `input`'s brief and proofs; to check
    /// several drafts against the same brief, `prepare` once instead.
    pub fn run(&self, input: &CheckInput<'_>) -> Vec<Finding> {
        self.prepare(input.brief, input.proofs, input.competitors)
            .run(input.channel, input.draft)
    }

    /// Everything that depends only on the brief, the proofs and the
    /// competitors (the grounding facts table, the names to mask), built
    /// once for checking any number of drafts.
    pub fn prepare<'a>(
        &'a self,
        brief: &'a AccountBrief,
        proofs: &'a [ProofFact],
        competitors: &'a [String],
    ) -> Prepared<'a> {
        Prepared {
            pipeline: self,
            facts: GroundingFacts::build(brief, proofs, competitors, &self.policy_competitors),
            masker: NameMasker::new(
                &merge_competitors(competitors, &self.policy_competitors),
                &own_names(brief),
            ),
        }
    }

    /// The three checks, for callers that want them one by one.
    pub fn checks(&self) -> [&dyn Check; 3] {
        [&self.grounding, &self.red_line, &self.tone]
    }

    /// Every policy rule: id, version, examples.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// Whether rule `rule_id` fires on `text` (as a landing-page body, with
    /// the policy's example names in force). `None` if the rule is unknown.
    pub fn example_fires(&self, rule_id: &str, text: &str) -> Option<bool> {
        let info = self.rules.iter().find(|r| r.id == rule_id)?;
        let ex = &self.examples;
        let brief = AccountBrief {
            account_name: ex.account_name.clone(),
            sender: Sender {
                name: ex.sender_name.clone(),
                title: String::new(),
                company: ex.sender_company.clone(),
            },
            ..Default::default()
        };
        let draft = DraftText {
            subject: None,
            body: text.to_string(),
        };
        let input = CheckInput {
            channel: Channel::LandingPage,
            brief: &brief,
            proofs: &[],
            competitors: &ex.competitors,
            draft: &draft,
        };
        let comps = competitor_names(&input, &self.policy_competitors);
        let vs = views(&input, &comps);
        let mut out = Vec::new();
        match info.check {
            CheckKind::RedLine => self.red_line.run_one(rule_id, &vs, &mut out),
            CheckKind::Tone => {
                self.tone
                    .run_views(Channel::LandingPage, &vs, Some(rule_id), &mut out)
            }
            CheckKind::Grounding => return None,
        }
        Some(out.iter().any(|f| f.rule_id == rule_id))
    }

    /// Run every rule's `must_flag` and `must_pass` examples; list failures.
    pub fn verify_examples(&self) -> Vec<ExampleFailure> {
        let mut fails = Vec::new();
        for r in &self.rules {
            for (list, want) in [(&r.must_flag, true), (&r.must_pass, false)] {
                for ex in list.iter() {
                    if self.example_fires(&r.id, ex) != Some(want) {
                        fails.push(ExampleFailure {
                            rule_id: r.id.clone(),
                            example: ex.clone(),
                            expected_flag: want,
                        });
                    }
                }
            }
        }
        fails
    }
}

/// A pipeline bound to one brief, its proofs and competitors; see
/// `Pipeline::prepare`.
#[derive(Debug)]
pub struct Prepared<'a> {
    pipeline: &'a Pipeline,
    facts: GroundingFacts,
    /// Competitor and own names to mask for red-line and tone rules.
    masker: NameMasker,
}

impl Prepared<'_> {
    /// Run grounding, red-line and tone checks on `draft` for `channel`;
    /// the same findings, in the same order, as `Pipeline::run`.
    pub fn run(&self, channel: Channel, draft: &DraftText) -> Vec<Finding> {
        let p = self.pipeline;
        let mut out = Vec::new();
        // Each part is tokenized, split and masked once for all three checks.
        let vs = draft_views_masked(draft, &self.masker);
        p.grounding.run_views(&self.facts, draft, &vs, &mut out);
        let cands: Vec<Candidates> = vs.iter().map(|v| p.filter.candidates(&v.masked)).collect();
        for (v, c) in vs.iter().zip(&cands) {
            p.red_line.run_view(v, c, 0, &mut out);
        }
        let n_red = p.red_line.rules().len();
        for (v, c) in vs.iter().zip(&cands) {
            p.tone.run_view(channel, v, None, c, n_red, &mut out);
        }
        sort_findings(&mut out);
        out
    }
}

/// Sort findings by part, span start, span end, check, rule id.
pub fn sort_findings(v: &mut [Finding]) {
    v.sort_by(|a, b| {
        (
            part_order(a.span.part),
            a.span.start,
            a.span.end,
            a.check,
            &a.rule_id,
        )
            .cmp(&(
                part_order(b.span.part),
                b.span.start,
                b.span.end,
                b.check,
                &b.rule_id,
            ))
    });
}
