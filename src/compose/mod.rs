//! Layered assembly (seed 5.1, 5.3) and the offline composer.
//!
//! Owns: the plan (which prompt, component and proof versions a draft uses),
//! the [`Slots`] a generator fills, rendering slots and verbatim proofs
//! through the channel's minijinja template, the deterministic offline slot
//! writer, and the [`PromptSpec`] an LLM generator sends.
//!
//! Pure: no IO, no clock (the caller passes `today`), no randomness. The same
//! library, brief and selection always give the same plan, slots and text.
//!
//! # Invariants
//! - Approved proof text reaches a draft only through the template, verbatim;
//!   never through a slot.
//! - Only the first-party part of the brief is quoted (see [`text`]); a
//!   third-party trigger's summary is never quoted nor shown to a generator.
//! - `PromptSpec::system` depends on the system prompt version only.

mod offline;
mod render;
mod spec;
pub mod text;

pub use offline::offline_slots;
pub use render::render;
pub use spec::{PromptSpec, prompt_spec, slots_schema};

use crate::library::item::SegmentMismatch;
use crate::library::{Block, ChannelPrompt, Family, Library, VersionReq, normalize_alias};
use crate::model::{AccountBrief, Channel, ItemKind, ItemRef, Stage};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Slot names a channel prompt may list in `slots`.
pub const SLOT_NAMES: &[&str] = &[
    "subject",
    "greeting",
    "opener",
    "framing",
    "point_of_view",
    "question",
    "proof_intro",
    "cta",
    "discovery_questions",
    "permission",
    "headline",
    "subheadline",
    "sections",
    "assets",
];

/// The variable parts of a draft: what a generator writes. Proof text is not
/// a slot; the template places it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    /// Email only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub greeting: String,
    /// The trigger-based reason for writing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub opener: String,
    /// Grounded account insight and persona pain.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub framing: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub point_of_view: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub question: String,
    /// The lead-in before the verbatim proof(s).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proof_intro: String,
    /// The stage-appropriate offer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cta: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discovery_questions: Vec<String>,
    /// Call scripts: asking permission to proceed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub permission: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub headline: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subheadline: String,
    /// Landing page persona sections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// Landing page stage-specific assets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<Section>,
    /// The claim log (seed 5.4): each specific fact used and its source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

impl Slots {
    /// Whether the named slot has content.
    pub fn is_filled(&self, name: &str) -> bool {
        match name {
            "subject" => self
                .subject
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty()),
            "greeting" => !self.greeting.trim().is_empty(),
            "opener" => !self.opener.trim().is_empty(),
            "framing" => !self.framing.trim().is_empty(),
            "point_of_view" => !self.point_of_view.trim().is_empty(),
            "question" => !self.question.trim().is_empty(),
            "proof_intro" => !self.proof_intro.trim().is_empty(),
            "cta" => !self.cta.trim().is_empty(),
            "discovery_questions" => self
                .discovery_questions
                .iter()
                .any(|q| !q.trim().is_empty()),
            "permission" => !self.permission.trim().is_empty(),
            "headline" => !self.headline.trim().is_empty(),
            "subheadline" => !self.subheadline.trim().is_empty(),
            "sections" => !self.sections.is_empty(),
            "assets" => self.assets.is_some(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    pub body: String,
}

/// One specific fact in a draft and where it came from, e.g.
/// `brief.known_initiatives[0]`, `brief.trigger`, `proofs[pp-x]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub text: String,
    pub source: String,
}

/// Which versions to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The channel prompt version (no fallback).
    pub prompt: VersionReq,
    /// System prompt and components (falling back to production).
    pub components: VersionReq,
    /// Proofs that expired before this date are not used.
    pub today: NaiveDate,
}

impl Selection {
    /// Production versions of everything.
    pub fn production(today: NaiveDate) -> Self {
        Selection {
            prompt: VersionReq::production(),
            components: VersionReq::production(),
            today,
        }
    }

    /// A pinned channel prompt version, production components.
    pub fn pinned(version: &str, today: NaiveDate) -> Self {
        Selection {
            prompt: VersionReq::Exact(version.to_string()),
            ..Self::production(today)
        }
    }

    /// The versions carrying `label` (components without one fall back to
    /// production).
    pub fn label(label: &str, today: NaiveDate) -> Self {
        Selection {
            prompt: VersionReq::Label(label.to_string()),
            components: VersionReq::Label(label.to_string()),
            today,
        }
    }
}

/// Why an approved proof named in the brief was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SkipReason {
    Expired { on: NaiveDate },
    NotAllowed { field: &'static str },
    TooLong { chars: usize, max: usize },
    OverChannelMax { max: usize },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Expired { on } => write!(f, "expired on {on}"),
            SkipReason::NotAllowed { field } => write!(f, "not allowed for this account's {field}"),
            SkipReason::TooLong { chars, max } => {
                write!(f, "{chars} characters, over this channel's {max}")
            }
            SkipReason::OverChannelMax { max } => {
                write!(f, "the channel uses at most {max} proof(s)")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedProof {
    pub id: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComposeError {
    #[error("stage {value:?} is not one of unaware, problem_aware, evaluating, validating")]
    InvalidStage { value: String },
    #[error("no {channel} prompt matches {req}")]
    NoPrompt { channel: Channel, req: String },
    #[error("no system prompt in the library")]
    NoSystemPrompt,
    #[error("component {id} is not in the library")]
    MissingComponent { id: String },
    #[error("proof {id} named in the brief is not in the library")]
    UnknownProof { id: String },
    #[error("{channel} needs {min} usable proof(s), found {found}{}", skipped_note(.skipped))]
    NotEnoughProofs {
        channel: Channel,
        min: usize,
        found: usize,
        skipped: Vec<SkippedProof>,
    },
    #[error("slot {slot} is required for {channel}")]
    MissingSlot { channel: Channel, slot: String },
    #[error("plan is for {planned}, not {asked}")]
    ChannelMismatch { planned: Channel, asked: Channel },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
}

fn skipped_note(skipped: &[SkippedProof]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = skipped
        .iter()
        .map(|s| format!("{}: {}", s.id, s.reason))
        .collect();
    format!(" (skipped {})", parts.join("; "))
}

/// What a draft is assembled from: every item version, chosen once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub channel: Channel,
    pub stage: Stage,
    pub system: ItemRef,
    pub prompt: ItemRef,
    pub persona: ItemRef,
    pub stage_block: ItemRef,
    pub trigger: ItemRef,
    pub industry: ItemRef,
    pub opener: ItemRef,
    pub cta: ItemRef,
    /// Proofs in brief order, at most the channel's maximum.
    pub proofs: Vec<ItemRef>,
    pub skipped_proofs: Vec<SkippedProof>,
    /// The trigger is a third-party signal: its summary is never quoted.
    pub third_party_trigger: bool,
    /// Every item version used: system, prompt, components, proofs.
    pub items: Vec<ItemRef>,
}

fn item_ref(kind: ItemKind, meta: &crate::library::item::ItemMeta) -> ItemRef {
    ItemRef {
        kind,
        id: meta.id.clone(),
        version: meta.version.clone(),
    }
}

/// Best block of a family for a free-text value: an exact alias match wins,
/// then the alias with the most words found as a phrase in the value.
fn match_alias<'a>(blocks: &[&'a Block], value: &str) -> Option<&'a Block> {
    let value = normalize_alias(value);
    if value.is_empty() {
        return None;
    }
    let padded = format!(" {value} ");
    let mut best: Option<(usize, &Block)> = None;
    for b in blocks {
        for alias in &b.aliases {
            let a = normalize_alias(alias);
            if a.is_empty() {
                continue;
            }
            let score = if a == value {
                usize::MAX
            } else if padded.contains(&format!(" {a} ")) {
                a.split(' ').count()
            } else {
                0
            };
            if score > 0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, b));
            }
        }
    }
    best.map(|(_, b)| b)
}

fn block_or<'a>(lib: &'a Library, id: &str, req: &VersionReq) -> Result<&'a Block, ComposeError> {
    lib.block(id, req)
        .ok_or_else(|| ComposeError::MissingComponent { id: id.to_string() })
}

pub(crate) struct Resolved<'a> {
    pub prompt: &'a ChannelPrompt,
    pub persona: &'a Block,
    pub stage: &'a Block,
    pub trigger: &'a Block,
    pub industry: &'a Block,
    pub opener: &'a Block,
    pub cta: &'a Block,
    pub proofs: Vec<&'a crate::library::Proof>,
}

fn component<'a>(lib: &'a Library, r: &ItemRef) -> Result<&'a Block, ComposeError> {
    match lib.item(r) {
        Some(crate::library::Item::Block(b)) => Ok(b),
        _ => Err(ComposeError::MissingComponent { id: r.id.clone() }),
    }
}

/// Looks up every item of a plan (which must come from the same library).
pub(crate) fn resolve<'a>(lib: &'a Library, plan: &Plan) -> Result<Resolved<'a>, ComposeError> {
    let prompt = match lib.item(&plan.prompt) {
        Some(crate::library::Item::Channel(c)) => c,
        _ => {
            return Err(ComposeError::NoPrompt {
                channel: plan.channel,
                req: format!("version {}", plan.prompt.version),
            });
        }
    };
    let mut proofs = Vec::new();
    for r in &plan.proofs {
        match lib.item(r) {
            Some(crate::library::Item::Proof(p)) => proofs.push(p),
            _ => return Err(ComposeError::UnknownProof { id: r.id.clone() }),
        }
    }
    Ok(Resolved {
        prompt,
        persona: component(lib, &plan.persona)?,
        stage: component(lib, &plan.stage_block)?,
        trigger: component(lib, &plan.trigger)?,
        industry: component(lib, &plan.industry)?,
        opener: component(lib, &plan.opener)?,
        cta: component(lib, &plan.cta)?,
        proofs,
    })
}

/// Chooses every item version a draft of `channel` for `brief` uses.
pub fn plan(
    lib: &Library,
    brief: &AccountBrief,
    channel: Channel,
    sel: &Selection,
) -> Result<Plan, ComposeError> {
    let stage = brief.stage().ok_or_else(|| ComposeError::InvalidStage {
        value: brief.stage.clone(),
    })?;
    let system = lib
        .system_prompt(&sel.components)
        .ok_or(ComposeError::NoSystemPrompt)?;
    let prompt =
        lib.channel_prompt(channel, &sel.prompt)
            .ok_or_else(|| ComposeError::NoPrompt {
                channel,
                req: sel.prompt.to_string(),
            })?;
    let req = &sel.components;

    let personas = lib.blocks(Family::Persona, req);
    let persona = match match_alias(&personas, &brief.persona) {
        Some(b) => b,
        None => block_or(lib, "persona.generic", req)?,
    };
    let industries = lib.blocks(Family::Industry, req);
    let industry = match match_alias(&industries, &brief.industry) {
        Some(b) => b,
        None => block_or(lib, "industry.generic", req)?,
    };
    let stage_block = lib
        .blocks(Family::Stage, req)
        .into_iter()
        .find(|b| b.applies_to.iter().any(|s| s == stage.as_str()))
        .ok_or_else(|| ComposeError::MissingComponent {
            id: format!("stage.{stage}"),
        })?;
    let kind = brief.trigger.kind.trim().to_ascii_lowercase();
    let trigger = match lib
        .blocks(Family::Trigger, req)
        .into_iter()
        .find(|b| b.applies_to.iter().any(|k| k.eq_ignore_ascii_case(&kind)))
    {
        Some(b) => b,
        None => block_or(lib, "trigger.generic", req)?,
    };
    let opener = block_or(lib, "opener.default", req)?;
    let cta_id = stage_block
        .uses
        .iter()
        .find(|u| u.starts_with("cta."))
        .map_or("cta.default", String::as_str);
    let cta = block_or(lib, cta_id, req)?;

    // Proofs: the brief's approved ids, in order, minus the unusable.
    let mut proofs = Vec::new();
    let mut skipped = Vec::new();
    for id in &brief.proof_point_ids {
        let p = lib
            .proof(id)
            .ok_or_else(|| ComposeError::UnknownProof { id: id.clone() })?;
        let reason = if p.meta.is_expired(sel.today) {
            Some(SkipReason::Expired {
                on: p.meta.expires.unwrap_or_default(),
            })
        } else if let Err(m) = p
            .meta
            .allowed
            .allows(&brief.industry, brief.tier, &brief.region)
        {
            Some(SkipReason::NotAllowed {
                field: match m {
                    SegmentMismatch::Industry => "industry",
                    SegmentMismatch::Tier => "tier",
                    SegmentMismatch::Region => "region",
                },
            })
        } else if let Some(max) = prompt
            .proofs
            .max_chars
            .filter(|&m| p.text.chars().count() > m)
        {
            Some(SkipReason::TooLong {
                chars: p.text.chars().count(),
                max,
            })
        } else if proofs.len() >= prompt.proofs.max {
            Some(SkipReason::OverChannelMax {
                max: prompt.proofs.max,
            })
        } else {
            None
        };
        match reason {
            Some(reason) => skipped.push(SkippedProof {
                id: id.clone(),
                reason,
            }),
            None => proofs.push(item_ref(ItemKind::Proof, &p.meta)),
        }
    }
    if proofs.len() < prompt.proofs.min {
        return Err(ComposeError::NotEnoughProofs {
            channel,
            min: prompt.proofs.min,
            found: proofs.len(),
            skipped,
        });
    }

    let system = item_ref(ItemKind::Prompt, &system.meta);
    let prompt_ref = item_ref(ItemKind::Prompt, &prompt.meta);
    let c = |b: &Block| item_ref(ItemKind::Component, &b.meta);
    let (persona, stage_ref, trigger_ref, industry, opener, cta) = (
        c(persona),
        c(stage_block),
        c(trigger),
        c(industry),
        c(opener),
        c(cta),
    );
    let mut items = vec![
        system.clone(),
        prompt_ref.clone(),
        persona.clone(),
        stage_ref.clone(),
        trigger_ref.clone(),
        industry.clone(),
        opener.clone(),
        cta.clone(),
    ];
    items.extend(proofs.iter().cloned());
    Ok(Plan {
        channel,
        stage,
        system,
        prompt: prompt_ref,
        persona,
        stage_block: stage_ref,
        trigger: trigger_ref,
        industry,
        opener,
        cta,
        proofs,
        skipped_proofs: skipped,
        third_party_trigger: trigger.third_party,
        items,
    })
}
