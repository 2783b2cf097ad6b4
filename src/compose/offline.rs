//! The deterministic offline composer: writes [`Slots`] from component
//! blocks and the first-party facts of the brief, with no model.
//!
//! Sentences come from block templates; the only brief text they quote goes
//! through [`text`] helpers. Variants are chosen by a stable hash of the
//! account key, so one brief always gives one text. Parts are dropped, lowest
//! value first, until the rendered draft fits the channel's target length.

use super::text::{self, Offer};
use super::{Claim, ComposeError, Plan, Resolved, Section, Slots, render, resolve};
use crate::library::types::LimitUnit;
use crate::library::{Block, Library};
use crate::model::{AccountBrief, Channel, ItemKind};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Where a part goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Opener,
    Framing,
    PointOfView,
    Question,
    Cta,
}

/// One sentence (or two) of a slot, with the claims it carries.
#[derive(Debug, Clone)]
struct Part {
    slot: Slot,
    text: String,
    claims: Vec<Claim>,
    /// Dropped in ascending order when over budget; `None` is kept.
    drop_rank: Option<u8>,
}

/// The brief facts the composer may quote, cleaned once.
struct Facts {
    ctx: Map<String, Value>,
    trigger_claim: Option<Claim>,
    initiative: Option<(String, Claim)>,
    topic_claim: Option<Claim>,
    engagement: Option<(text::Engagement, Claim)>,
    connected: bool,
    hypothesis: Option<(String, Claim)>,
    offer: Option<(Offer, Claim)>,
}

fn claim(text: &str, source: String) -> Claim {
    Claim {
        text: text.to_string(),
        source,
    }
}

fn facts(brief: &AccountBrief, plan: &Plan) -> Facts {
    let mut ctx = Map::new();
    let account = brief.account_name.trim();
    ctx.insert("account".into(), json!(account));
    ctx.insert(
        "industry".into(),
        json!(text::industry_phrase(&brief.industry)),
    );
    ctx.insert("persona".into(), json!(brief.persona.trim()));
    ctx.insert("stage".into(), json!(plan.stage.as_str()));
    ctx.insert("company".into(), json!(brief.sender.company.trim()));
    ctx.insert("sender".into(), json!(brief.sender.name.trim()));
    ctx.insert(
        "sender_first".into(),
        json!(text::first_name(&brief.sender.name)),
    );

    // The trigger summary is quoted only for first-party or public triggers.
    let (trigger_clause, trigger_title) = if plan.third_party_trigger {
        (None, None)
    } else {
        (
            text::clause(&brief.trigger.summary),
            text::quoted_title(&brief.trigger.summary).filter(|t| text::quotable(t)),
        )
    };
    let c = trigger_clause.clone().unwrap_or_default();
    let first = c.split(' ').next().unwrap_or("");
    let past =
        first.len() > 3 && first.ends_with("ed") && first.chars().all(|ch| ch.is_ascii_lowercase());
    let progressive = text::is_progressive(&c);
    let lower = c.to_ascii_lowercase();
    let (fact, you, np) = if c.is_empty() {
        (String::new(), String::new(), String::new())
    } else if past {
        (format!("{account} {c}"), format!("you {c}"), String::new())
    } else if progressive {
        (format!("{account} is {c}"), String::new(), String::new())
    } else if lower.starts_with("the ") || lower.starts_with("a ") || lower.starts_with("an ") {
        (String::new(), String::new(), c.clone())
    } else {
        (String::new(), String::new(), format!("the {c}"))
    };
    // The trigger as a clause with a subject: "<account> announced ...",
    // "you joined ...", or a noun phrase "the current ... renews on ...".
    ctx.insert("trigger_fact".into(), json!(fact));
    ctx.insert("trigger_you".into(), json!(you));
    ctx.insert("trigger_np".into(), json!(np));
    ctx.insert("trigger_clause".into(), json!(c));
    ctx.insert(
        "trigger_title".into(),
        json!(trigger_title.clone().unwrap_or_default()),
    );
    let trigger_claim = trigger_clause
        .as_deref()
        .or(trigger_title.as_deref())
        .map(|t| claim(t, "brief.trigger".into()));

    let initiative = brief
        .known_initiatives
        .iter()
        .enumerate()
        .find_map(|(i, ini)| text::clause(&ini.text).map(|c| (c, i)));
    ctx.insert(
        "initiative".into(),
        json!(
            initiative
                .as_ref()
                .map(|(c, _)| c.clone())
                .unwrap_or_default()
        ),
    );
    ctx.insert(
        "initiative_ing".into(),
        json!(
            initiative
                .as_ref()
                .is_some_and(|(c, _)| text::is_progressive(c))
        ),
    );
    let initiative = initiative.map(|(c, i)| {
        let cl = claim(&c, format!("brief.known_initiatives[{i}]"));
        (c, cl)
    });

    let topic = brief
        .intent_topics
        .iter()
        .enumerate()
        .find_map(|(i, t)| text::safe_topic(t).map(|t| (t, i)));
    ctx.insert(
        "topic".into(),
        json!(topic.as_ref().map(|(t, _)| t.clone()).unwrap_or_default()),
    );
    let topic_claim = topic.map(|(t, i)| claim(&t, format!("brief.intent_topics[{i}]")));

    let engagements: Vec<text::Engagement> = brief
        .recent_engagement
        .iter()
        .enumerate()
        .filter_map(|(i, e)| text::engagement(i, e))
        .collect();
    let connected = engagements
        .iter()
        .any(|e| e.kind == text::EngagementKind::Connected);
    let engagement = engagements
        .into_iter()
        .find(|e| e.kind != text::EngagementKind::Connected)
        .map(|e| {
            let cl = claim(&e.text, format!("brief.recent_engagement[{}]", e.index));
            (e, cl)
        });
    ctx.insert(
        "engagement_title".into(),
        json!(
            engagement
                .as_ref()
                .and_then(|(e, _)| e.title.clone())
                .unwrap_or_default()
        ),
    );

    let hypothesis = brief.hypotheses.iter().enumerate().find_map(|(i, h)| {
        text::hypothesis_question(h).map(|q| (q, claim(h, format!("brief.hypotheses[{i}]"))))
    });

    let offer =
        brief.cta_offers.iter().enumerate().find_map(|(i, o)| {
            text::offer(o).map(|x| (x, claim(o, format!("brief.cta_offers[{i}]"))))
        });
    let (thing, action) = match offer.as_ref().map(|(o, _)| o) {
        Some(Offer::Thing(t)) => (t.clone(), String::new()),
        Some(Offer::Action(a)) => (String::new(), a.clone()),
        None => (String::new(), String::new()),
    };
    ctx.insert("offer".into(), json!(thing));
    ctx.insert("offer_action".into(), json!(action));

    Facts {
        ctx,
        trigger_claim,
        initiative,
        topic_claim,
        engagement,
        connected,
        hypothesis,
        offer,
    }
}

/// Renders block templates against the composer's context.
struct Blocks<'a> {
    lib: &'a Library,
    ctx: Map<String, Value>,
}

impl Blocks<'_> {
    fn text(&self, b: &Block, key: &str) -> Result<String, ComposeError> {
        self.render(b, &format!("text.{key}"))
    }

    fn list(&self, b: &Block, key: &str) -> Result<Vec<String>, ComposeError> {
        let n = b.lists.get(key).map_or(0, Vec::len);
        (0..n)
            .map(|i| self.render(b, &format!("lists.{key}.{i}")))
            .collect()
    }

    /// A block text as a fragment for other templates: not capitalised.
    fn fragment(&self, b: &Block, key: &str) -> Result<String, ComposeError> {
        self.render_raw(b, &format!("text.{key}"))
    }

    fn render(&self, b: &Block, field: &str) -> Result<String, ComposeError> {
        Ok(text::cap_first(&self.render_raw(b, field)?))
    }

    fn render_raw(&self, b: &Block, field: &str) -> Result<String, ComposeError> {
        let name = crate::library::load_template_name(
            ItemKind::Component,
            &b.meta.id,
            &b.meta.version,
            field,
        );
        let out = self
            .lib
            .env()
            .get_template(&name)
            .and_then(|t| t.render(&self.ctx))
            .map_err(|e| ComposeError::Template {
                name: name.clone(),
                message: e.to_string(),
            })?;
        Ok(render::tidy(&out).replace('\n', " "))
    }
}

/// A stable choice among `n` variants for this account and purpose.
fn pick(key: &str, purpose: &str, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let h = Sha256::digest(format!("{key}\u{0}{purpose}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) % n as u64) as usize
}

/// Writes the slots for `plan` from the library's blocks and the brief.
/// Deterministic: the same library, plan and brief give the same slots.
pub fn offline_slots(
    lib: &Library,
    plan: &Plan,
    brief: &AccountBrief,
) -> Result<Slots, ComposeError> {
    let r = resolve(lib, plan)?;
    let f = facts(brief, plan);
    let mut bl = Blocks {
        lib,
        ctx: f.ctx.clone(),
    };
    // Industry and persona words are inputs to the other blocks.
    for (k, key) in [("data", "data"), ("peers", "peers")] {
        let v = bl.fragment(r.industry, key)?;
        bl.ctx.insert(k.into(), json!(v));
    }
    let label = bl.fragment(r.persona, "label")?;
    bl.ctx.insert("label".into(), json!(label));

    let key = brief.account_key();
    let mut parts = Vec::new();
    let mut slots = Slots::default();

    // Trigger layer: why now. A third-party trigger never shows its summary;
    // a first-party action (webinar, download, reply, meeting) leads instead.
    let trigger_key = match plan.channel {
        Channel::LinkedinConnection => "short",
        Channel::CallScript => "call",
        Channel::LandingPage => "landing",
        _ => "reason",
    };
    let mut reason = bl.text(r.trigger, trigger_key)?;
    let mut reason_claims: Vec<Claim> = f.trigger_claim.iter().cloned().collect();
    if plan.third_party_trigger {
        reason_claims = f.topic_claim.iter().cloned().collect();
    }
    // A first-party action leads: "Thank you for ..." comes before the
    // trigger. Landing pages and connection notes keep it only when the
    // trigger cannot be quoted.
    let first_party_trigger = matches!(
        r.trigger.applies_to.first().map(String::as_str),
        Some("webinar_attended" | "whitepaper_downloaded")
    );
    if let Some((e, c)) = &f.engagement {
        let weak_trigger = plan.third_party_trigger || reason.is_empty();
        let wanted = weak_trigger
            || (!first_party_trigger
                && !matches!(
                    plan.channel,
                    Channel::LinkedinConnection | Channel::LandingPage
                ));
        if wanted {
            let mut ctx = bl.ctx.clone();
            ctx.insert(
                "engagement_title".into(),
                json!(e.title.clone().unwrap_or_default()),
            );
            let eb = Blocks { lib, ctx };
            parts.push(Part {
                slot: Slot::Opener,
                text: eb.text(r.opener, e.kind.key())?,
                claims: vec![c.clone()],
                drop_rank: if weak_trigger { None } else { Some(1) },
            });
            if plan.third_party_trigger {
                // The common concern may go when space is short; the
                // first-party line carries the reason for writing.
                parts.push(Part {
                    slot: Slot::Opener,
                    text: std::mem::take(&mut reason),
                    claims: std::mem::take(&mut reason_claims),
                    drop_rank: Some(3),
                });
            }
        }
    }
    if !reason.is_empty() {
        parts.push(Part {
            slot: Slot::Opener,
            text: reason,
            claims: reason_claims,
            drop_rank: None,
        });
    }

    // Account layer: a grounded insight from a public initiative.
    let initiative_part = match &f.initiative {
        Some((_, c)) => {
            let k = if f.ctx["initiative_ing"] == json!(true) {
                "initiative_ing"
            } else {
                "initiative_other"
            };
            Some((bl.text(r.opener, k)?, c.clone()))
        }
        None => None,
    };
    let change = bl.text(r.industry, "change")?;
    let pain = bl.text(r.persona, "pain")?;
    let pov = bl.text(r.persona, "pov")?;
    let outcome = bl.text(r.persona, "outcome")?;
    let persona_questions = bl.list(r.persona, "questions")?;
    let question = match &f.hypothesis {
        Some((q, c)) => (q.clone(), vec![c.clone()]),
        None => (
            persona_questions[pick(key, "question", persona_questions.len())].clone(),
            vec![],
        ),
    };

    // Stage layer: the offer.
    let (cta, cta_claims) = match &f.offer {
        Some((Offer::Thing(_), c)) => (bl.text(r.cta, "ask")?, vec![c.clone()]),
        Some((Offer::Action(_), c)) => (bl.text(r.cta, "action")?, vec![c.clone()]),
        None => (bl.text(r.cta, "fallback")?, vec![]),
    };
    let intro_key = if r.proofs.len() > 1 {
        "proof_intro_many"
    } else {
        "proof_intro_one"
    };
    let intros = bl.list(r.opener, intro_key)?;
    let proof_intro = if intros.is_empty() {
        String::new()
    } else {
        intros[pick(key, intro_key, intros.len())].clone()
    };

    let push = |parts: &mut Vec<Part>, slot, text: String, claims: Vec<Claim>, drop_rank| {
        if !text.trim().is_empty() {
            parts.push(Part {
                slot,
                text,
                claims,
                drop_rank,
            });
        }
    };

    match plan.channel {
        Channel::Email => {
            slots.subject = Some(bl.text(r.persona, "subject")?);
            slots.greeting = bl.text(r.opener, "greeting")?;
            if let Some((t, c)) = initiative_part {
                push(&mut parts, Slot::Framing, t, vec![c], None);
                push(&mut parts, Slot::Framing, change, vec![], Some(2));
            }
            push(&mut parts, Slot::Framing, pain, vec![], Some(4));
            push(&mut parts, Slot::Question, question.0, question.1, Some(5));
            push(&mut parts, Slot::Cta, cta, cta_claims, None);
            slots.proof_intro = proof_intro;
        }
        Channel::LinkedinConnection => {
            slots.greeting = bl.text(r.opener, "greeting_short")?;
            push(&mut parts, Slot::PointOfView, pov, vec![], Some(4));
            push(
                &mut parts,
                Slot::Question,
                bl.text(r.opener, "connect")?,
                vec![],
                None,
            );
            // The proof goes in only while it fits: an empty intro drops it.
            slots.proof_intro = proof_intro;
        }
        Channel::LinkedinMessage => {
            slots.greeting = if f.connected {
                bl.text(r.opener, "connected")?
            } else {
                bl.text(r.opener, "greeting")?
            };
            if let Some((t, c)) = initiative_part {
                push(&mut parts, Slot::PointOfView, t, vec![c], Some(3));
            }
            push(&mut parts, Slot::PointOfView, pov, vec![], Some(2));
            push(&mut parts, Slot::Question, question.0, question.1, None);
            push(&mut parts, Slot::Cta, cta, cta_claims, Some(4));
            slots.proof_intro = proof_intro;
        }
        Channel::CallScript => {
            if let Some((t, c)) = initiative_part {
                push(&mut parts, Slot::Framing, t, vec![c], None);
                push(&mut parts, Slot::Framing, change, vec![], Some(2));
            }
            push(&mut parts, Slot::Framing, pain, vec![], Some(3));
            let mut qs = Vec::new();
            if let Some((q, c)) = &f.hypothesis {
                qs.push(q.clone());
                slots.claims.push(c.clone());
            }
            for q in persona_questions {
                if qs.len() >= 3 {
                    break;
                }
                qs.push(q);
            }
            slots.discovery_questions = qs;
            slots.permission = bl.text(r.stage, "permission")?;
            push(&mut parts, Slot::Cta, cta, cta_claims, None);
        }
        Channel::LandingPage => {
            slots.headline = bl.text(r.persona, "subject")?;
            slots.subheadline = bl.text(r.opener, "prepared_for")?;
            if let Some((t, c)) = initiative_part {
                push(&mut parts, Slot::Framing, t, vec![c], None);
                push(&mut parts, Slot::Framing, change, vec![], Some(3));
            }
            slots.sections.push(Section {
                heading: bl.text(r.persona, "heading")?,
                body: bl.text(r.persona, "section")?,
            });
            if let Some((q, c)) = &f.hypothesis {
                slots.sections.push(Section {
                    heading: bl.text(r.opener, "question_heading")?,
                    body: q.clone(),
                });
                slots.claims.push(c.clone());
            }
            let _ = outcome;
            slots.assets = Some(Section {
                heading: bl.text(r.stage, "assets_heading")?,
                body: bl.text(r.stage, "assets")?,
            });
            slots.proof_intro = bl.text(r.opener, "peers_heading")?;
            push(&mut parts, Slot::Cta, cta, cta_claims, None);
        }
    }

    fit(lib, plan, brief, &r, slots, parts)
}

fn assemble(mut slots: Slots, parts: &[Part], proofs: &[&crate::library::Proof]) -> Slots {
    let join = |slot: Slot| {
        parts
            .iter()
            .filter(|p| p.slot == slot)
            .map(|p| p.text.trim())
            .collect::<Vec<_>>()
            .join(" ")
    };
    slots.opener = join(Slot::Opener);
    slots.framing = join(Slot::Framing);
    slots.point_of_view = join(Slot::PointOfView);
    slots.question = join(Slot::Question);
    slots.cta = join(Slot::Cta);
    let mut claims = std::mem::take(&mut slots.claims);
    claims.extend(parts.iter().flat_map(|p| p.claims.iter().cloned()));
    if !slots.proof_intro.is_empty() {
        claims.extend(proofs.iter().map(|p| Claim {
            text: p.text.clone(),
            source: format!("proofs[{}]", p.meta.id),
        }));
    }
    let mut seen = std::collections::HashSet::new();
    claims.retain(|c| seen.insert((c.text.clone(), c.source.clone())));
    slots.claims = claims;
    slots
}

fn measure(unit: LimitUnit, body: &str) -> usize {
    match unit {
        LimitUnit::Words => text::word_count(body),
        LimitUnit::Chars => body.chars().count(),
    }
}

/// Drops the lowest-ranked parts until the rendered draft fits the channel's
/// target; for connection notes the proof goes first.
fn fit(
    lib: &Library,
    plan: &Plan,
    brief: &AccountBrief,
    r: &Resolved<'_>,
    slots: Slots,
    mut parts: Vec<Part>,
) -> Result<Slots, ComposeError> {
    let limit = r.prompt.limit;
    let mut base = slots;
    loop {
        let s = assemble(base.clone(), &parts, &r.proofs);
        let draft = render(lib, plan, brief, &s)?;
        if measure(limit.unit, &draft.body) <= limit.max {
            return Ok(s);
        }
        if plan.channel == Channel::LinkedinConnection && !base.proof_intro.is_empty() {
            base.proof_intro.clear();
            continue;
        }
        let victim = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.drop_rank.map(|rank| (rank, i)))
            .min();
        match victim {
            Some((_, i)) => {
                parts.remove(i);
            }
            // Nothing left to drop: return the shortest draft; the checks
            // will report the length and routing sends it to review.
            None => return Ok(s),
        }
    }
}
