//! From event histories to rates: per draft, per group, per experiment arm.
//!
//! Units:
//! - **Performance** counts *sent drafts* (messages). Every rate's
//!   denominator is the number of drafts with a `sent` event in the group, so
//!   rates compare across groups of different sizes. A draft may fall in
//!   several groups of one dimension (two proofs → both proof groups), so
//!   groups of the proof dimension need not add up to the total.
//! - **Lift** counts *accounts*, because experiments assign accounts, not
//!   messages: an account counts as a success for a metric when any of its sent
//!   drafts in that arm reached it. Counting drafts would treat one account's
//!   messages as independent and make the interval too narrow.
//!
//! Pure: rows in, numbers out.

use super::event::{EventKind, OutcomeEvent};
use super::stats::{self, Interval, Proportion};
use crate::model::{AccountBrief, Channel, Draft, ItemKind};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// What a draft's events add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DraftOutcome {
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered: bool,
    pub bounced: bool,
    /// Any reply, classified or not.
    pub replied: bool,
    pub positive_reply: bool,
    pub negative_reply: bool,
    pub unsubscribed: bool,
    pub meeting_booked: bool,
    pub opportunity_created: bool,
}

impl DraftOutcome {
    pub fn from_events(events: &[OutcomeEvent]) -> DraftOutcome {
        let mut o = DraftOutcome::default();
        for e in events {
            match e.kind {
                EventKind::Sent => o.sent_at = Some(e.occurred_at),
                EventKind::Delivered => o.delivered = true,
                EventKind::Bounced => o.bounced = true,
                EventKind::Replied => o.replied = true,
                EventKind::PositiveReply => {
                    o.replied = true;
                    o.positive_reply = true
                }
                EventKind::NegativeReply => {
                    o.replied = true;
                    o.negative_reply = true
                }
                EventKind::Unsubscribed => o.unsubscribed = true,
                EventKind::MeetingBooked => o.meeting_booked = true,
                EventKind::OpportunityCreated => o.opportunity_created = true,
            }
        }
        o
    }

    pub fn sent(&self) -> bool {
        self.sent_at.is_some()
    }
}

/// The reported rates, downstream first: what the business wants (meetings,
/// positive replies, pipeline) before what merely shows activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    MeetingBooked,
    PositiveReply,
    OpportunityCreated,
    Replied,
    Unsubscribed,
    Bounced,
    Delivered,
}

impl Metric {
    /// In reporting order.
    pub const ALL: [Metric; 7] = [
        Metric::MeetingBooked,
        Metric::PositiveReply,
        Metric::OpportunityCreated,
        Metric::Replied,
        Metric::Unsubscribed,
        Metric::Bounced,
        Metric::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::MeetingBooked => "meeting_booked",
            Metric::PositiveReply => "positive_reply",
            Metric::OpportunityCreated => "opportunity_created",
            Metric::Replied => "replied",
            Metric::Unsubscribed => "unsubscribed",
            Metric::Bounced => "bounced",
            Metric::Delivered => "delivered",
        }
    }

    /// A short human label ("meeting rate").
    pub fn label(self) -> &'static str {
        match self {
            Metric::MeetingBooked => "meeting booked rate",
            Metric::PositiveReply => "positive reply rate",
            Metric::OpportunityCreated => "opportunity rate",
            Metric::Replied => "reply rate",
            Metric::Unsubscribed => "unsubscribe rate",
            Metric::Bounced => "bounce rate",
            Metric::Delivered => "delivered rate",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn hit(self, o: &DraftOutcome) -> bool {
        match self {
            Metric::MeetingBooked => o.meeting_booked,
            Metric::PositiveReply => o.positive_reply,
            Metric::OpportunityCreated => o.opportunity_created,
            Metric::Replied => o.replied,
            Metric::Unsubscribed => o.unsubscribed,
            Metric::Bounced => o.bounced,
            Metric::Delivered => o.delivered,
        }
    }
}

/// The dimensions performance can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// Prompt items of the lineage, as `id@version`.
    PromptVersion,
    Channel,
    /// From the brief.
    Persona,
    Stage,
    TriggerKind,
    /// Component items whose role (see [`COMPONENT_ROLES`]) is `cta`.
    Cta,
    /// Component items whose role is `opener`.
    Opener,
    /// Proof items of the lineage, as `id@version`.
    Proof,
    /// `experiment/arm` from the lineage; `(none)` outside experiments.
    ExperimentArm,
}

impl GroupBy {
    pub const ALL: [GroupBy; 9] = [
        GroupBy::PromptVersion,
        GroupBy::Channel,
        GroupBy::Persona,
        GroupBy::Stage,
        GroupBy::TriggerKind,
        GroupBy::Cta,
        GroupBy::Opener,
        GroupBy::Proof,
        GroupBy::ExperimentArm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::PromptVersion => "prompt_version",
            GroupBy::Channel => "channel",
            GroupBy::Persona => "persona",
            GroupBy::Stage => "stage",
            GroupBy::TriggerKind => "trigger_kind",
            GroupBy::Cta => "cta",
            GroupBy::Opener => "opener",
            GroupBy::Proof => "proof",
            GroupBy::ExperimentArm => "experiment_arm",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// A component's role is read from its id prefix, so grouping survives new
/// components and renames inside a role: `cta-book-demo` and `cta_audit` are
/// CTAs, `opener-trigger-recap` is an opener. The prefix must be followed by
/// `-`, `_`, `.` or `/` (or be the whole id).
pub const COMPONENT_ROLES: &[(GroupBy, &str)] =
    &[(GroupBy::Cta, "cta"), (GroupBy::Opener, "opener")];

/// Whether component `id` plays the role named by `prefix`.
pub fn has_role(id: &str, prefix: &str) -> bool {
    match id.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => rest.starts_with(['-', '_', '.', '/']),
        None => false,
    }
}

/// Key of a draft that has nothing in a dimension (no proof, no experiment,
/// no stored brief).
pub const NONE_KEY: &str = "(none)";

/// The group keys of one draft in one dimension (one or more).
pub fn group_keys(by: GroupBy, draft: &Draft, brief: Option<&AccountBrief>) -> Vec<String> {
    let items = |kind: ItemKind, role: Option<&str>| -> Vec<String> {
        draft
            .lineage
            .items
            .iter()
            .filter(|i| i.kind == kind && role.is_none_or(|r| has_role(&i.id, r)))
            .map(|i| format!("{}@{}", i.id, i.version))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let from_brief = |f: fn(&AccountBrief) -> &str| {
        vec![
            brief
                .map(|b| f(b).trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| NONE_KEY.to_string()),
        ]
    };
    let role = |by: GroupBy| {
        COMPONENT_ROLES
            .iter()
            .find(|(g, _)| *g == by)
            .map(|(_, p)| *p)
    };
    let keys = match by {
        GroupBy::PromptVersion => items(ItemKind::Prompt, None),
        GroupBy::Proof => items(ItemKind::Proof, None),
        GroupBy::Cta | GroupBy::Opener => items(ItemKind::Component, role(by)),
        GroupBy::Channel => vec![draft.channel.as_str().to_string()],
        GroupBy::Persona => from_brief(|b| &b.persona),
        GroupBy::Stage => from_brief(|b| &b.stage),
        GroupBy::TriggerKind => from_brief(|b| &b.trigger.kind),
        GroupBy::ExperimentArm => {
            if draft.lineage.experiment.is_empty() {
                vec![]
            } else {
                vec![format!(
                    "{}/{}",
                    draft.lineage.experiment, draft.lineage.arm
                )]
            }
        }
    };
    if keys.is_empty() {
        vec![NONE_KEY.to_string()]
    } else {
        keys
    }
}

/// One draft with what is known of it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub draft: &'a Draft,
    pub brief: Option<&'a AccountBrief>,
    pub outcome: DraftOutcome,
}

/// Which drafts to count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub experiment: Option<String>,
    pub channel: Option<Channel>,
    /// Sent at or after.
    pub sent_since: Option<DateTime<Utc>>,
    /// Sent before.
    pub sent_until: Option<DateTime<Utc>>,
}

impl Filter {
    pub fn admits(&self, row: &Row<'_>) -> bool {
        let Some(sent) = row.outcome.sent_at else {
            return false;
        };
        self.experiment
            .as_ref()
            .is_none_or(|e| *e == row.draft.lineage.experiment)
            && self.channel.is_none_or(|c| c == row.draft.channel)
            && self.sent_since.is_none_or(|t| sent >= t)
            && self.sent_until.is_none_or(|t| sent < t)
    }
}

/// One metric of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub metric: Metric,
    pub estimate: Proportion,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupPerformance {
    pub key: String,
    pub drafts_sent: u64,
    /// In [`Metric::ALL`] order: downstream first.
    pub rates: Vec<Rate>,
}

impl GroupPerformance {
    pub fn rate(&self, m: Metric) -> &Rate {
        self.rates
            .iter()
            .find(|r| r.metric == m)
            .expect("every metric is reported")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub group_by: GroupBy,
    /// Every admitted draft once.
    pub overall: GroupPerformance,
    /// Largest groups first, then by key.
    pub groups: Vec<GroupPerformance>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    sent: u64,
    hits: [u64; Metric::ALL.len()],
}

impl Counts {
    fn add(&mut self, o: &DraftOutcome) {
        self.sent += 1;
        for (i, m) in Metric::ALL.iter().enumerate() {
            self.hits[i] += u64::from(m.hit(o));
        }
    }

    fn finish(&self, key: String) -> GroupPerformance {
        GroupPerformance {
            key,
            drafts_sent: self.sent,
            rates: Metric::ALL
                .iter()
                .enumerate()
                .map(|(i, &metric)| Rate {
                    metric,
                    estimate: Proportion::new(self.hits[i], self.sent),
                })
                .collect(),
        }
    }
}

/// Rates per group with Wilson 95% intervals, over sent drafts.
pub fn performance<'a>(
    by: GroupBy,
    filter: &Filter,
    rows: impl IntoIterator<Item = Row<'a>>,
) -> Performance {
    let mut overall = Counts::default();
    let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
    for row in rows {
        if !filter.admits(&row) {
            continue;
        }
        overall.add(&row.outcome);
        for key in group_keys(by, row.draft, row.brief) {
            groups.entry(key).or_default().add(&row.outcome);
        }
    }
    let mut groups: Vec<_> = groups.into_iter().map(|(k, c)| c.finish(k)).collect();
    groups.sort_by(|a, b| b.drafts_sent.cmp(&a.drafts_sent).then(a.key.cmp(&b.key)));
    Performance {
        group_by: by,
        overall: overall.finish("all".into()),
        groups,
    }
}

/// One arm of an experiment for one metric, counted in accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSample {
    pub arm: String,
    pub estimate: Proportion,
}

/// Treatment minus control for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLift {
    pub metric: Metric,
    pub control: ArmSample,
    pub treatment: ArmSample,
    /// `treatment.rate - control.rate`, in rate points.
    pub difference: f64,
    /// Newcombe hybrid score 95% interval of `difference`.
    pub interval: Interval,
    /// `difference / control.rate`; `None` when the control rate is 0.
    pub relative: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lift {
    pub experiment: String,
    pub lifts: Vec<MetricLift>,
}

/// Lift of `treatment` over `control` in `experiment`, per metric, with
/// accounts as the unit (see the module docs). Only sent drafts count; an
/// account with sent drafts in both arms (the configuration changed under a
/// running experiment) is counted in each.
pub fn lift<'a>(
    experiment: &str,
    control: &str,
    treatment: &str,
    metrics: &[Metric],
    filter: &Filter,
    rows: impl IntoIterator<Item = Row<'a>>,
) -> Lift {
    // arm → account → OR of its drafts' outcomes, per metric
    let mut arms: [BTreeMap<&str, Vec<bool>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for row in rows {
        if !filter.admits(&row) || row.draft.lineage.experiment != experiment {
            continue;
        }
        let side = if row.draft.lineage.arm == control {
            0
        } else if row.draft.lineage.arm == treatment {
            1
        } else {
            continue;
        };
        let acc = arms[side]
            .entry(row.draft.account_id.as_str())
            .or_insert_with(|| vec![false; metrics.len()]);
        for (i, m) in metrics.iter().enumerate() {
            acc[i] |= m.hit(&row.outcome);
        }
    }
    let sample = |side: usize, i: usize, arm: &str| {
        let n = arms[side].len() as u64;
        let x = arms[side].values().filter(|v| v[i]).count() as u64;
        ArmSample {
            arm: arm.to_string(),
            estimate: Proportion::new(x, n),
        }
    };
    let lifts = metrics
        .iter()
        .enumerate()
        .map(|(i, &metric)| {
            let c = sample(0, i, control);
            let t = sample(1, i, treatment);
            let (difference, interval) = stats::difference(&t.estimate, &c.estimate);
            MetricLift {
                metric,
                relative: (c.estimate.rate > 0.0).then(|| difference / c.estimate.rate),
                control: c,
                treatment: t,
                difference,
                interval,
            }
        })
        .collect();
    Lift {
        experiment: experiment.to_string(),
        lifts,
    }
}
