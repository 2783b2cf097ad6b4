//! Red lines (seed 5.5): surveillance, guarantees and absolutes, sensitive
//! personal attributes, competitor disparagement, template residue and model
//! artefacts. The rules are data (`policies/red_lines.toml`); this module
//! runs them over masked text (see `scan`).

use super::policy::{CheckPolicies, PatternRule, RED_LINES_FILE};
use super::scan::{Candidates, PartView, RuleFilter, competitor_names, run_rule, views};
use super::{Check, CheckInput};
use crate::model::{CheckKind, Finding};

#[derive(Debug, Clone)]
pub struct RedLineCheck {
    rules: Vec<PatternRule>,
    filter: RuleFilter,
    policy_competitors: Vec<String>,
}

impl RedLineCheck {
    pub fn new(p: &CheckPolicies) -> Self {
        RedLineCheck {
            rules: p.red_lines.clone(),
            filter: RuleFilter::new(&p.red_lines),
            policy_competitors: p.competitors.clone(),
        }
    }

    /// The rules, in order (for a combined `RuleFilter`).
    pub(crate) fn rules(&self) -> &[PatternRule] {
        &self.rules
    }

    pub(crate) fn run_views(&self, views: &[PartView<'_>], out: &mut Vec<Finding>) {
        for v in views {
            let c = self.filter.candidates(&v.masked);
            self.run_view(v, &c, 0, out);
        }
    }

    /// Run the rules that `cands` allows on one view; rule `i` is candidate
    /// `offset + i`.
    pub(crate) fn run_view(
        &self,
        v: &PartView<'_>,
        cands: &Candidates,
        offset: usize,
        out: &mut Vec<Finding>,
    ) {
        for (i, r) in self.rules.iter().enumerate() {
            if cands.may_match(offset + i) {
                run_rule(r, v, RED_LINES_FILE, out);
            }
        }
    }

    /// Run a single rule (for rule examples).
    pub(crate) fn run_one(&self, rule_id: &str, views: &[PartView<'_>], out: &mut Vec<Finding>) {
        for v in views {
            for r in self.rules.iter().filter(|r| r.info.id == rule_id) {
                run_rule(r, v, RED_LINES_FILE, out);
            }
        }
    }
}

impl Check for RedLineCheck {
    fn kind(&self) -> CheckKind {
        CheckKind::RedLine
    }

    fn check(&self, input: &CheckInput<'_>, out: &mut Vec<Finding>) {
        let comps = competitor_names(input, &self.policy_competitors);
        let vs = views(input, &comps);
        self.run_views(&vs, out);
    }
}
