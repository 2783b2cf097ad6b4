//! Risk-based routing (seed 5.5): auto-send or human review, with reasons.
//!
//! Pure: the same inputs always give the same route. Fails closed: anything
//! unmatched, errored or unchecked goes to human review.

use crate::library::item::Risk;
use crate::model::{AccountBrief, Channel, CheckKind, Finding, ItemRef, Route, RouteReason};
use serde::{Deserialize, Serialize};

/// `policies/routing.toml`, the `[rules]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingPolicy {
    /// Account tiers that always need a human (tier 1 = strategic).
    #[serde(default)]
    pub review_tiers: Vec<u32>,
    /// Named strategic accounts (account id or name, case-insensitive).
    #[serde(default)]
    pub strategic_accounts: Vec<String>,
    /// Regulated industries (case-insensitive).
    #[serde(default)]
    pub regulated_industries: Vec<String>,
    /// Channels that always need a human.
    #[serde(default)]
    pub review_channels: Vec<Channel>,
    /// Items at or above this risk level send the draft to review.
    #[serde(default = "default_max_auto_risk")]
    pub review_at_risk: Risk,
}

fn default_max_auto_risk() -> Risk {
    Risk::High
}

/// A library item used by a draft, with what routing needs to know of it.
#[derive(Debug, Clone)]
pub struct UsedItem {
    pub item: ItemRef,
    pub trusted: bool,
    pub risk: Risk,
}

/// What routing looks at.
pub struct RouteInput<'a> {
    pub brief: &'a AccountBrief,
    pub channel: Channel,
    pub findings: &'a [Finding],
    pub items: &'a [UsedItem],
    /// Whether every check ran on the final text. `false` fails closed.
    pub checked: bool,
    /// Generation problems that did not stop a draft from being produced
    /// (e.g. the model kept failing a check after reasks).
    pub generation_issues: &'a [RouteReason],
}

fn reason(code: &str, detail: impl Into<String>) -> RouteReason {
    RouteReason {
        code: code.to_string(),
        detail: detail.into(),
    }
}

/// Decide the route. Reasons are listed for review routes; an auto-send route
/// carries the single reason `all_checks_passed`.
pub fn decide(policy: Option<&RoutingPolicy>, input: &RouteInput<'_>) -> (Route, Vec<RouteReason>) {
    let Some(policy) = policy else {
        return (
            Route::HumanReview,
            vec![reason(
                "no_routing_policy",
                "no routing policy is loaded; failing closed",
            )],
        );
    };
    let mut reasons = Vec::new();
    if !input.checked {
        reasons.push(reason("unchecked", "the final text was not checked"));
    }
    reasons.extend(input.generation_issues.iter().cloned());
    let brief = input.brief;
    if policy.review_tiers.contains(&brief.tier) {
        reasons.push(reason(
            &format!("tier_{}_account", brief.tier),
            format!("tier {} accounts need human approval", brief.tier),
        ));
    }
    if policy.strategic_accounts.iter().any(|a| {
        a.eq_ignore_ascii_case(&brief.account_name) || a.eq_ignore_ascii_case(brief.account_key())
    }) {
        reasons.push(reason(
            "strategic_account",
            format!("{} is a named strategic account", brief.account_name),
        ));
    }
    if policy
        .regulated_industries
        .iter()
        .any(|i| i.eq_ignore_ascii_case(brief.industry.trim()))
    {
        reasons.push(reason(
            "regulated_industry",
            format!("{} is a regulated industry", brief.industry),
        ));
    }
    if policy.review_channels.contains(&input.channel) {
        reasons.push(reason(
            "channel_requires_review",
            format!("{} drafts always need human approval", input.channel),
        ));
    }
    for kind in CheckKind::ALL {
        let blocking: Vec<&Finding> = input
            .findings
            .iter()
            .filter(|f| f.check == kind && f.is_blocking())
            .collect();
        if let Some(first) = blocking.first() {
            reasons.push(reason(
                &format!("blocking_finding_{}", kind.as_str()),
                format!(
                    "{} blocking {} finding(s), first: {} ({})",
                    blocking.len(),
                    kind,
                    first.rule_id,
                    first.message
                ),
            ));
        }
    }
    for used in input.items {
        if !used.trusted {
            reasons.push(reason(
                "untrusted_version",
                format!(
                    "{} {}@{} is not labelled production",
                    used.item.kind.as_str(),
                    used.item.id,
                    used.item.version
                ),
            ));
        }
        if used.risk >= policy.review_at_risk {
            reasons.push(reason(
                "high_risk_item",
                format!(
                    "{} {} has risk {:?}",
                    used.item.kind.as_str(),
                    used.item.id,
                    used.risk
                ),
            ));
        }
    }
    if reasons.is_empty() {
        (
            Route::AutoSend,
            vec![reason(
                "all_checks_passed",
                "low-risk account, trusted items, no blocking finding",
            )],
        )
    } else {
        (Route::HumanReview, reasons)
    }
}
