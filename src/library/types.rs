//! The loaded items. Plain data; the loader builds them, compose reads them.

use super::item::{ItemMeta, Version};
use crate::model::{Channel, ItemKind, ProofFact};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The static system rules shared by every channel (seed 5.3). Contains no
/// account variables, so its text is byte-identical across briefs.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemPrompt {
    pub meta: ItemMeta,
    pub text: String,
}

/// Whether an example shows what to do or what not to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExampleKind {
    Good,
    Bad,
}

/// A demonstration for one channel, with the reason it is good or bad.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub kind: ExampleKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    pub why: String,
    /// Library proofs quoted in the body; the loader checks they resolve and
    /// that a good example quotes each one verbatim.
    #[serde(default)]
    pub proofs: Vec<String>,
}

/// How many approved proofs a channel takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofRule {
    #[serde(default)]
    pub min: usize,
    pub max: usize,
    /// Proofs longer than this (in chars) are not used on this channel
    /// (LinkedIn connection notes are 300 characters in all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
}

/// One channel prompt version: instructions for a generator, examples, the
/// minijinja template that places slots and verbatim proofs, and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPrompt {
    pub meta: ItemMeta,
    pub channel: Channel,
    pub instructions: String,
    pub template: String,
    /// Slots the template needs filled for this channel.
    pub slots: Vec<String>,
    pub proofs: ProofRule,
    /// Length limit the offline composer aims under (words, or chars for
    /// LinkedIn connection notes). The checks enforce the policy limit.
    pub limit: Limit,
    /// Component ids the channel depends on (fallback blocks).
    pub requires: Vec<String>,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    Words,
    Chars,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max: usize,
    pub unit: LimitUnit,
}

/// The component families under `prompts/blocks/`, named by the id prefix
/// (`persona.ciso`, `stage.evaluating`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Persona,
    Stage,
    Trigger,
    Industry,
    Opener,
    Cta,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Persona,
        Family::Stage,
        Family::Trigger,
        Family::Industry,
        Family::Opener,
        Family::Cta,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Persona => "persona",
            Family::Stage => "stage",
            Family::Trigger => "trigger",
            Family::Industry => "industry",
            Family::Opener => "opener",
            Family::Cta => "cta",
        }
    }

    pub fn of_id(id: &str) -> Option<Family> {
        let prefix = id.split('.').next()?;
        Family::ALL.into_iter().find(|f| f.as_str() == prefix)
    }

    /// Text keys every block of the family must define (all are minijinja
    /// templates over the composer's context).
    pub fn required_text(self) -> &'static [&'static str] {
        match self {
            Family::Persona => &[
                "label", "pain", "outcome", "pov", "subject", "heading", "section",
            ],
            Family::Stage => &["assets_heading", "assets", "permission"],
            Family::Trigger => &["reason", "short", "call", "landing"],
            Family::Industry => &["data", "peers", "change"],
            Family::Opener => &[
                "webinar",
                "download",
                "reply",
                "meeting",
                "connected",
                "request",
                "greeting",
                "greeting_short",
                "connect",
                "initiative_ing",
                "initiative_other",
                "prepared_for",
                "question_heading",
                "peers_heading",
            ],
            Family::Cta => &["ask", "action", "fallback"],
        }
    }

    /// List keys every block of the family must define.
    pub fn required_lists(self) -> &'static [&'static str] {
        match self {
            Family::Persona => &["questions"],
            Family::Opener => &["proof_intro_one", "proof_intro_many"],
            _ => &[],
        }
    }
}

/// A reusable block (seed 5.3 "opener, problem framing, proof, CTA"): texts
/// and lists of minijinja templates, plus what it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub meta: ItemMeta,
    pub family: Family,
    /// Free-text strings that select this block (persona titles, industry
    /// names). Compared after normalising case and punctuation.
    pub aliases: Vec<String>,
    /// Enum values that select this block (stage names, trigger kinds).
    pub applies_to: Vec<String>,
    /// Trigger blocks only: the trigger comes from a third-party signal, so
    /// its summary is never shown to a generator or quoted in a draft.
    pub third_party: bool,
    /// Other component ids this block uses (a stage's CTA block).
    pub uses: Vec<String>,
    /// Static guidance for a generator; no account variables.
    pub guidance: String,
    pub text: BTreeMap<String, String>,
    pub lists: BTreeMap<String, Vec<String>>,
}

/// Structured facts of a proof, each a verbatim substring of its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFacts {
    #[serde(default)]
    pub numbers: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub certifications: Vec<String>,
}

/// An approved proof block (seed 5.6 "proof library"). `text` is placed in
/// drafts verbatim, never rewritten.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    pub meta: ItemMeta,
    pub text: String,
    pub source: String,
    pub customer: String,
    pub products: Vec<String>,
    pub facts: ProofFacts,
}

impl Proof {
    /// The proof as the checks see it.
    pub fn fact(&self) -> ProofFact {
        ProofFact {
            id: self.meta.id.clone(),
            text: self.text.clone(),
            source: self.source.clone(),
        }
    }
}

/// A `policies/*.toml` file: its `[meta]` and its raw text, parsed by whoever
/// owns the policy (the checks parse red lines, voice and channel limits).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySource {
    pub meta: ItemMeta,
    /// Path relative to the library root, e.g. `policies/voice.toml`.
    pub path: String,
    pub raw: String,
}

/// Any loaded item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    System(SystemPrompt),
    Channel(ChannelPrompt),
    Block(Block),
    Proof(Proof),
    Policy(PolicySource),
}

impl Item {
    pub fn meta(&self) -> &ItemMeta {
        match self {
            Item::System(x) => &x.meta,
            Item::Channel(x) => &x.meta,
            Item::Block(x) => &x.meta,
            Item::Proof(x) => &x.meta,
            Item::Policy(x) => &x.meta,
        }
    }

    pub fn kind(&self) -> ItemKind {
        match self {
            Item::System(_) | Item::Channel(_) => ItemKind::Prompt,
            Item::Block(_) => ItemKind::Component,
            Item::Proof(_) => ItemKind::Proof,
            Item::Policy(_) => ItemKind::Policy,
        }
    }
}

/// Key of an item in the library: kind, id, parsed version.
pub(crate) type Key = (ItemKind, String, Version);
