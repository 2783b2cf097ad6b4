//! Experiments (seed 4.6, 6.3): deterministic holdout assignment.
//!
//! An experiment splits accounts between two arms. The control arm (the
//! holdout) gets `holdout_share` of the accounts; the treatment arm the rest.
//! An arm is a variant of how drafts are written:
//! - `genai` — the configured generator with the production prompt;
//! - `baseline` — the offline composer's baseline templates (business as
//!   usual), the holdout that proves GenAI drafts earn their keep;
//! - `version:<semver>` / `label:<label>` — a pinned prompt version or label,
//!   for version A vs version B.
//!
//! Assignment hashes (experiment name, account key) with SHA-256, so it is
//! the same on every server, across restarts and releases, and independent
//! between experiments. The arm is recorded on every draft's lineage
//! (`experiment`, `arm` = the variant text) and is what `GetLift` compares.
//!
//! Pure.

use crate::engine::Selector;
use crate::model::AccountBrief;
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variant {
    GenAi,
    Baseline,
    Version(String),
    Label(String),
}

impl Variant {
    pub fn parse(s: &str) -> Result<Variant, String> {
        let s = s.trim();
        match s {
            "genai" => Ok(Variant::GenAi),
            "baseline" => Ok(Variant::Baseline),
            _ => match s.split_once(':') {
                Some(("version", v)) if !v.trim().is_empty() => {
                    Ok(Variant::Version(v.trim().to_string()))
                }
                Some(("label", l)) if !l.trim().is_empty() => {
                    Ok(Variant::Label(l.trim().to_string()))
                }
                _ => Err(format!(
                    "'{s}' is not an arm: use genai, baseline, version:<semver> or label:<label>"
                )),
            },
        }
    }

    /// The prompt selector this variant asks for (empty for genai/baseline:
    /// the production prompt).
    pub fn selector(&self) -> Selector {
        match self {
            Variant::Version(v) => Selector {
                version: Some(v.clone()),
                label: None,
            },
            Variant::Label(l) => Selector {
                version: None,
                label: Some(l.clone()),
            },
            Variant::GenAi | Variant::Baseline => Selector::default(),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Variant::GenAi => f.write_str("genai"),
            Variant::Baseline => f.write_str("baseline"),
            Variant::Version(v) => write!(f, "version:{v}"),
            Variant::Label(l) => write!(f, "label:{l}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    /// Share of accounts in the control arm, in (0, 1).
    pub holdout_share: f64,
    pub control: Variant,
    pub treatment: Variant,
    /// Only briefs with one of these personas enter (empty: all).
    pub personas: Vec<String>,
    /// Only briefs with one of these trigger kinds enter (empty: all).
    pub trigger_kinds: Vec<String>,
}

/// An account's arm in an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub experiment: String,
    /// The variant text, as recorded in lineage.
    pub arm: String,
    pub variant: Variant,
    pub holdout: bool,
}

/// A uniform number in [0, 1) from (experiment, account).
pub fn bucket(experiment: &str, account: &str) -> f64 {
    let mut h = Sha256::new();
    h.update(experiment.as_bytes());
    h.update([0u8]);
    h.update(account.as_bytes());
    let digest = h.finalize();
    let x = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    // 53 bits, so the result is exact in an f64 and strictly below 1.
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl Experiment {
    /// Validate one configured experiment; every problem is reported.
    pub fn new(
        name: &str,
        holdout_share: f64,
        control: &str,
        treatment: &str,
        personas: &[String],
        trigger_kinds: &[String],
    ) -> Result<Experiment, Vec<String>> {
        let mut problems = Vec::new();
        let field = |f: &str| format!("experiments.{name}.{f}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push(format!(
                "experiments.{name}: the name must be letters, digits, '-' or '_'"
            ));
        }
        if !(holdout_share > 0.0 && holdout_share < 1.0) {
            problems.push(format!(
                "{}: must be between 0 and 1 (exclusive), got {holdout_share}",
                field("holdout_share")
            ));
        }
        let control = Variant::parse(control)
            .map_err(|e| problems.push(format!("{}: {e}", field("control"))))
            .ok();
        let treatment = Variant::parse(treatment)
            .map_err(|e| problems.push(format!("{}: {e}", field("treatment"))))
            .ok();
        if control.is_some() && control == treatment {
            problems.push(format!(
                "{}: the treatment must differ from the control",
                field("treatment")
            ));
        }
        match (control, treatment) {
            (Some(control), Some(treatment)) if problems.is_empty() => Ok(Experiment {
                name: name.to_string(),
                holdout_share,
                control,
                treatment,
                personas: personas.iter().map(|p| p.trim().to_lowercase()).collect(),
                trigger_kinds: trigger_kinds.to_vec(),
            }),
            _ => Err(problems),
        }
    }

    /// Whether a brief is in scope.
    pub fn admits(&self, brief: &AccountBrief) -> bool {
        (self.personas.is_empty()
            || self
                .personas
                .iter()
                .any(|p| *p == brief.persona.trim().to_lowercase()))
            && (self.trigger_kinds.is_empty() || self.trigger_kinds.contains(&brief.trigger.kind))
    }

    pub fn assign(&self, account: &str) -> Assignment {
        let holdout = bucket(&self.name, account) < self.holdout_share;
        let variant = if holdout {
            self.control.clone()
        } else {
            self.treatment.clone()
        };
        Assignment {
            experiment: self.name.clone(),
            arm: variant.to_string(),
            variant,
            holdout,
        }
    }
}

/// The experiments in force. At most one runs at a time: changing several
/// variables at once teaches nothing (seed 4.6); config validation enforces it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Experiments {
    pub active: Option<Experiment>,
    /// Configured but disabled, kept so `GetLift` knows their arms.
    pub inactive: Vec<Experiment>,
}

impl Experiments {
    /// The arm of the account behind `brief`, when the running experiment
    /// covers it.
    pub fn assign(&self, brief: &AccountBrief) -> Option<Assignment> {
        self.active
            .as_ref()
            .filter(|e| e.admits(brief))
            .map(|e| e.assign(brief.account_key()))
    }

    pub fn get(&self, name: &str) -> Option<&Experiment> {
        self.active
            .iter()
            .chain(self.inactive.iter())
            .find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_round_trip_and_reject_garbage() {
        for s in ["genai", "baseline", "version:1.3.0", "label:candidate"] {
            assert_eq!(Variant::parse(s).unwrap().to_string(), s);
        }
        assert!(Variant::parse("version:").is_err());
        assert!(Variant::parse("gpt").is_err());
        assert_eq!(
            Variant::parse("version:1.2.0").unwrap().selector().version,
            Some("1.2.0".into())
        );
    }

    #[test]
    fn config_problems_are_all_reported() {
        let errs = Experiment::new("bad name", 1.5, "nope", "nope", &[], &[]).unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
        let errs = Experiment::new("x", 0.2, "baseline", "baseline", &[], &[]).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn bucket_is_stable() {
        // Pinned: a change here would silently reshuffle running experiments.
        let b = bucket("genai-vs-baseline", "acct-001");
        assert_eq!(b, 0.171_859_279_848_249_67);
        assert_ne!(b, bucket("another", "acct-001"));
    }
}
