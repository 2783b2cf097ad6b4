//! The prompt an LLM generator sends (seed 5.3): static system rules, the
//! channel instructions with examples, the brief as a data block, and a
//! strict schema for the slots plus a claim log (seed 5.4).

use super::{ComposeError, Plan, resolve, text};
use crate::library::{ExampleKind, Library};
use crate::model::{AccountBrief, Channel, ItemRef};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The parts of a generation request. `system` is byte-identical for every
/// brief under one system prompt version, so providers can cache it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptSpec {
    pub system: String,
    /// Channel instructions, component guidance and good/bad examples.
    pub channel: String,
    /// The brief's typed variables as data, inside `<brief_data>` tags.
    pub data: String,
    /// Strict JSON schema of the expected answer.
    pub slots_schema: Value,
    pub items: Vec<ItemRef>,
}

/// Builds the generation request for `plan`.
pub fn prompt_spec(
    lib: &Library,
    plan: &Plan,
    brief: &AccountBrief,
) -> Result<PromptSpec, ComposeError> {
    let r = resolve(lib, plan)?;
    let system = match lib.item(&plan.system) {
        Some(crate::library::Item::System(s)) => s.text.clone(),
        _ => return Err(ComposeError::NoSystemPrompt),
    };

    let mut ch = String::new();
    let _ = writeln!(ch, "# Channel: {}", plan.channel);
    let _ = writeln!(ch, "{}", r.prompt.instructions.trim());
    let unit = match r.prompt.limit.unit {
        crate::library::LimitUnit::Words => "words",
        crate::library::LimitUnit::Chars => "characters",
    };
    let _ = writeln!(
        ch,
        "\nAim for at most {} {unit} in the final text.",
        r.prompt.limit.max
    );
    let _ = writeln!(ch, "Fill these slots: {}.", r.prompt.slots.join(", "));
    let _ = writeln!(
        ch,
        "\nThe template that places your slots and the approved proofs:\n<template>\n{}\n</template>",
        r.prompt.template.trim()
    );
    let mut guidance = Vec::new();
    for b in [r.persona, r.stage, r.trigger, r.industry, r.cta] {
        if !b.guidance.trim().is_empty() {
            guidance.push(format!(
                "- {} ({}): {}",
                b.meta.id,
                b.family.as_str(),
                b.guidance.trim()
            ));
        }
    }
    if !guidance.is_empty() {
        let _ = writeln!(ch, "\n# Guidance for this draft\n{}", guidance.join("\n"));
    }
    for kind in [ExampleKind::Good, ExampleKind::Bad] {
        for (i, ex) in r
            .prompt
            .examples
            .iter()
            .filter(|e| e.kind == kind)
            .enumerate()
        {
            let label = if kind == ExampleKind::Good {
                "Good"
            } else {
                "Bad"
            };
            let _ = writeln!(ch, "\n# {label} example {}", i + 1);
            if let Some(s) = &ex.subject {
                let _ = writeln!(ch, "Subject: {s}");
            }
            let _ = writeln!(
                ch,
                "<example>\n{}\n</example>\nWhy: {}",
                ex.body.trim(),
                ex.why.trim()
            );
        }
    }

    let data = data_block(brief, plan, &r.proofs);
    Ok(PromptSpec {
        system,
        channel: ch,
        data,
        slots_schema: slots_schema(plan.channel, &r.prompt.slots),
        items: plan.items.clone(),
    })
}

/// The brief as JSON data. Only what a draft may use goes in: tracked
/// engagement and a third-party trigger's summary stay out, so the model is
/// never tempted to reveal them.
fn data_block(brief: &AccountBrief, plan: &Plan, proofs: &[&crate::library::Proof]) -> String {
    let engagement: Vec<&String> = brief
        .recent_engagement
        .iter()
        .enumerate()
        .filter(|(i, e)| text::engagement(*i, e).is_some())
        .map(|(_, e)| e)
        .collect();
    let trigger = if plan.third_party_trigger {
        json!({
            "kind": brief.trigger.kind,
            "summary": "(withheld: third-party signal; never mention it, frame the topic as a common concern)",
        })
    } else {
        json!({
            "kind": brief.trigger.kind,
            "summary": brief.trigger.summary,
            "occurred_on": brief.trigger.occurred_on,
        })
    };
    let data = json!({
        "account_name": brief.account_name,
        "industry": brief.industry,
        "region": brief.region,
        "persona": brief.persona,
        "stage": plan.stage.as_str(),
        "trigger": trigger,
        "known_initiatives": brief.known_initiatives.iter().map(|i| json!({"text": i.text, "source_url": i.source_url, "observed_on": i.observed_on})).collect::<Vec<_>>(),
        "intent_topics": brief.intent_topics.iter().filter_map(|t| text::safe_topic(t)).collect::<Vec<_>>(),
        "first_party_engagement": engagement,
        "hypotheses_ask_only_as_questions": brief.hypotheses,
        "cta_offers": brief.cta_offers,
        "sender": {"name": brief.sender.name, "title": brief.sender.title, "company": brief.sender.company},
    });
    let proofs: Vec<Value> = proofs
        .iter()
        .map(|p| json!({"id": p.meta.id, "text": p.text, "source": p.source}))
        .collect();
    format!(
        "<brief_data>\n{}\n</brief_data>\n<approved_proofs>\nThese texts are fixed facts. The template places each one verbatim after your proof_intro; do not repeat, reword or add to them.\n{}\n</approved_proofs>",
        serde_json::to_string_pretty(&data).unwrap_or_default(),
        serde_json::to_string_pretty(&proofs).unwrap_or_default(),
    )
}

fn string_schema() -> Value {
    json!({"type": "string", "minLength": 1})
}

fn section_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["heading", "body"],
        "properties": {"heading": string_schema(), "body": string_schema()}
    })
}

/// A strict JSON schema for the slots of `channel` plus the claim log.
pub fn slots_schema(channel: Channel, slots: &[String]) -> Value {
    let mut props = serde_json::Map::new();
    for s in slots {
        let v = match s.as_str() {
            "discovery_questions" => {
                json!({"type": "array", "minItems": 1, "maxItems": 5, "items": string_schema()})
            }
            "sections" => {
                json!({"type": "array", "minItems": 1, "maxItems": 4, "items": section_schema()})
            }
            "assets" => section_schema(),
            _ => string_schema(),
        };
        props.insert(s.clone(), v);
    }
    // Optional slots the template uses when present.
    if channel == Channel::LinkedinConnection && !props.contains_key("proof_intro") {
        props.insert("proof_intro".into(), json!({"type": "string"}));
    }
    props.insert(
        "claims".into(),
        json!({
            "type": "array",
            "description": "Every specific fact in your slots (number, date, name, certification, plan) and its source: brief.known_initiatives[i], brief.trigger, brief.recent_engagement[i], brief.cta_offers[i], brief.intent_topics[i], brief.hypotheses[i] (asked only), or proofs[<id>].",
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["text", "source"],
                "properties": {
                    "text": string_schema(),
                    "source": {"type": "string", "pattern": r"^(brief\.(account_name|industry|region|persona|trigger|known_initiatives\[\d+\]|recent_engagement\[\d+\]|cta_offers\[\d+\]|intent_topics\[\d+\]|hypotheses\[\d+\]|sender)|proofs\[[A-Za-z0-9_.-]+\])$"}
                }
            }
        }),
    );
    let mut required: Vec<String> = slots.to_vec();
    required.push("claims".into());
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{channel} slots"),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": props,
    })
}
