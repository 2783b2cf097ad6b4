//! Rendering slots and verbatim proofs through a channel template.

use super::{ComposeError, Plan, Slots, resolve, text};
use crate::library::Library;
use crate::model::{AccountBrief, DraftText, ItemKind};
use serde::Serialize;

#[derive(Serialize)]
struct ProofCtx<'a> {
    id: &'a str,
    text: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct SenderCtx<'a> {
    name: &'a str,
    first_name: &'a str,
    title: &'a str,
    company: &'a str,
}

#[derive(Serialize)]
struct AccountCtx<'a> {
    name: &'a str,
    industry: &'a str,
}

#[derive(Serialize)]
struct RenderCtx<'a> {
    /// Every slot name is present (empty when unset), so templates can test
    /// any slot under strict undefined handling.
    slots: serde_json::Value,
    proofs: Vec<ProofCtx<'a>>,
    sender: SenderCtx<'a>,
    account: AccountCtx<'a>,
}

/// Renders the draft: the channel template with `slots`, the plan's proofs
/// (verbatim) and the sender. Fails if a slot the channel requires is empty.
pub fn render(
    lib: &Library,
    plan: &Plan,
    brief: &AccountBrief,
    slots: &Slots,
) -> Result<DraftText, ComposeError> {
    let r = resolve(lib, plan)?;
    for s in &r.prompt.slots {
        if !slots.is_filled(s) {
            return Err(ComposeError::MissingSlot {
                channel: plan.channel,
                slot: s.clone(),
            });
        }
    }
    let ctx = RenderCtx {
        slots: slots_value(slots),
        proofs: r
            .proofs
            .iter()
            .map(|p| ProofCtx {
                id: &p.meta.id,
                text: &p.text,
                source: &p.source,
            })
            .collect(),
        sender: SenderCtx {
            name: brief.sender.name.trim(),
            first_name: text::first_name(&brief.sender.name),
            title: brief.sender.title.trim(),
            company: brief.sender.company.trim(),
        },
        account: AccountCtx {
            name: brief.account_name.trim(),
            industry: brief.industry.trim(),
        },
    };
    let name = crate::library::load_template_name(
        ItemKind::Prompt,
        &r.prompt.meta.id,
        &r.prompt.meta.version,
        "template",
    );
    let body = lib
        .env()
        .get_template(&name)
        .and_then(|t| t.render(&ctx))
        .map_err(|e| ComposeError::Template {
            name: name.clone(),
            message: e.to_string(),
        })?;
    let subject = if plan.channel.has_subject() {
        slots.subject.as_deref().map(|s| s.trim().to_string())
    } else {
        None
    };
    Ok(DraftText {
        subject,
        body: tidy(&body),
    })
}

fn slots_value(slots: &Slots) -> serde_json::Value {
    let mut v = serde_json::to_value(slots).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = v.as_object_mut() {
        for name in super::SLOT_NAMES {
            let empty = match *name {
                "discovery_questions" | "sections" => serde_json::json!([]),
                "assets" => serde_json::json!({"heading": "", "body": ""}),
                _ => serde_json::json!(""),
            };
            map.entry(name.to_string()).or_insert(empty);
        }
    }
    v
}

/// Trailing spaces off every line, runs of spaces inside a line collapsed,
/// at most one blank line in a row, no blank lines at either end.
pub(crate) fn tidy(s: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in s.lines() {
        let indent_end = line.len() - line.trim_start().len();
        let (indent, rest) = line.split_at(indent_end);
        let collapsed = rest
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let line = format!("{indent}{collapsed}");
        let line = line.trim_end().to_string();
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn tidy_collapses_blank_lines_and_spaces() {
        assert_eq!(super::tidy("\n\na  b \n\n\n\nc\n\n"), "a b\n\nc");
    }
}
