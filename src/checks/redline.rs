//! Red lines (seed 5.5): surveillance, guarantees and absolutes, sensitive
//! personal attributes, competitor disparagement, template residue and model
//! artefacts. The rules are data (`policies/red_lines.toml`); this module
//! runs them over masked text (see `scan`).

use super::policy::{CheckPolicies, PatternRule, RED_LINES_FILE};
use super::scan::{PartView, competitor_names, run_rule, views};
use super::{Check, CheckInput};
use crate::model::{CheckKind, Finding};

#[derive(Debug, Clone)]
pub struct RedLineCheck {
    rules: Vec<PatternRule>,
    policy_competitors: Vec<String>,
}

impl RedLineCheck {
    pub fn new(p: &CheckPolicies) -> Self {
        RedLineCheck {
            rules: p.red_lines.clone(),
            policy_competitors: p.competitors.clone(),
        }
    }

    pub(crate) fn run_views(&self, views: &[PartView<'_>], out: &mut Vec<Finding>) {
        for v in views {
            for r in &self.rules {
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
