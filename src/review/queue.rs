//! The review queue: what each waiting draft is filtered by, the filters,
//! paging and the per-reason counts. Pure; the caller passes `now`.

use crate::model::{AccountBrief, Channel, CheckKind, Draft};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A draft waiting for review, as the queue index stores it: everything the
/// filters and the list need, so listing never reads whole drafts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub draft_id: String,
    pub account_id: String,
    pub account_name: String,
    pub channel: Channel,
    pub tier: u32,
    pub reasons: Vec<String>,
    pub checks: Vec<CheckKind>,
    pub finding_count: u32,
    pub blocking_count: u32,
    pub created_at: String,
    pub version: u32,
    pub preview: String,
}

const PREVIEW_CHARS: usize = 160;

impl QueueEntry {
    pub fn from_draft(draft: &Draft, brief: Option<&AccountBrief>) -> QueueEntry {
        let mut checks: Vec<CheckKind> = draft.findings.iter().map(|f| f.check).collect();
        checks.sort();
        checks.dedup();
        let mut reasons: Vec<String> = draft.reasons.iter().map(|r| r.code.clone()).collect();
        reasons.dedup();
        // The body, not the subject: subjects repeat across a play.
        let text = draft
            .text
            .body
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        QueueEntry {
            draft_id: draft.draft_id.clone(),
            account_id: draft.account_id.clone(),
            account_name: brief
                .map(|b| b.account_name.clone())
                .unwrap_or_else(|| draft.account_id.clone()),
            channel: draft.channel,
            tier: brief.map(|b| b.tier).unwrap_or(0),
            reasons,
            checks,
            finding_count: draft.findings.len() as u32,
            blocking_count: draft.findings.iter().filter(|f| f.is_blocking()).count() as u32,
            created_at: draft.created_at.clone(),
            version: draft.version,
            preview: text.chars().take(PREVIEW_CHARS).collect(),
        }
    }

    /// Seconds since the draft was created (0 when the time is unreadable).
    pub fn age_seconds(&self, now: DateTime<Utc>) -> u64 {
        DateTime::parse_from_rfc3339(&self.created_at)
            .map(|t| (now - t.with_timezone(&Utc)).num_seconds().max(0) as u64)
            .unwrap_or(0)
    }

    /// The position in the queue: oldest first, ties by id.
    pub fn sort_key(&self) -> String {
        format!("{}\u{0}{}", self.created_at, self.draft_id)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueFilter {
    pub reason_code: Option<String>,
    pub check: Option<CheckKind>,
    pub channel: Option<Channel>,
    pub tier: Option<u32>,
    pub account_id: Option<String>,
    pub min_age_seconds: Option<u64>,
    pub max_age_seconds: Option<u64>,
}

#[derive(Clone, Copy)]
enum Skip {
    None,
    Reason,
    Check,
}

impl QueueFilter {
    pub fn matches(&self, e: &QueueEntry, now: DateTime<Utc>) -> bool {
        self.matches_except(e, now, Skip::None)
    }

    fn matches_except(&self, e: &QueueEntry, now: DateTime<Utc>, skip: Skip) -> bool {
        if !matches!(skip, Skip::Reason)
            && let Some(r) = &self.reason_code
            && !e.reasons.iter().any(|x| x == r)
        {
            return false;
        }
        if !matches!(skip, Skip::Check)
            && let Some(c) = self.check
            && !e.checks.contains(&c)
        {
            return false;
        }
        if self.channel.is_some_and(|c| c != e.channel) {
            return false;
        }
        if self.tier.is_some_and(|t| t != e.tier) {
            return false;
        }
        if self.account_id.as_ref().is_some_and(|a| a != &e.account_id) {
            return false;
        }
        let age = e.age_seconds(now);
        if self.min_age_seconds.is_some_and(|m| age < m) {
            return false;
        }
        if self.max_age_seconds.is_some_and(|m| age > m) {
            return false;
        }
        true
    }
}

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    #[serde(flatten)]
    pub entry: QueueEntry,
    pub age_seconds: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next_page_token: String,
    pub total: u32,
    pub reason_counts: Vec<(String, u32)>,
    pub check_counts: Vec<(String, u32)>,
}

/// One page of the queue. `entries` must be in queue order (oldest first).
/// The page token is the sort key of the last item shown, so a page stays
/// correct while drafts enter and leave the queue.
pub fn page(
    entries: &[QueueEntry],
    filter: &QueueFilter,
    page_size: usize,
    page_token: &str,
    now: DateTime<Utc>,
) -> QueuePage {
    let size = match page_size {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let mut reason_counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut check_counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut total = 0u32;
    let mut items = Vec::new();
    let mut more = false;
    for e in entries {
        if filter.matches_except(e, now, Skip::Reason) {
            for r in &e.reasons {
                *reason_counts.entry(r.clone()).or_default() += 1;
            }
        }
        if filter.matches_except(e, now, Skip::Check) {
            for c in &e.checks {
                *check_counts.entry(c.as_str().to_string()).or_default() += 1;
            }
        }
        if !filter.matches(e, now) {
            continue;
        }
        total += 1;
        if !page_token.is_empty() && e.sort_key().as_str() <= page_token {
            continue;
        }
        if items.len() < size {
            items.push(QueueItem {
                entry: e.clone(),
                age_seconds: e.age_seconds(now),
            });
        } else {
            more = true;
        }
    }
    let next_page_token = match (more, items.last()) {
        (true, Some(last)) => last.entry.sort_key(),
        _ => String::new(),
    };
    let mut reason_counts: Vec<_> = reason_counts.into_iter().collect();
    reason_counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    QueuePage {
        items,
        next_page_token,
        total,
        reason_counts,
        check_counts: check_counts.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, created: &str, reasons: &[&str], checks: &[CheckKind]) -> QueueEntry {
        QueueEntry {
            draft_id: id.into(),
            account_id: format!("acct-{id}"),
            account_name: "Acme".into(),
            channel: Channel::Email,
            tier: 1,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            checks: checks.to_vec(),
            finding_count: checks.len() as u32,
            blocking_count: 0,
            created_at: created.into(),
            version: 1,
            preview: String::new(),
        }
    }

    #[test]
    fn filters_pages_and_counts() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let es = vec![
            entry("a", "2026-01-01T00:00:00Z", &["tier_1_account"], &[]),
            entry(
                "b",
                "2026-01-01T00:30:00Z",
                &["tier_1_account", "blocking_finding_red_line"],
                &[CheckKind::RedLine],
            ),
            entry("c", "2026-01-01T00:59:00Z", &["regulated_industry"], &[]),
        ];
        let all = page(&es, &QueueFilter::default(), 2, "", now);
        assert_eq!(all.total, 3);
        assert_eq!(all.items.len(), 2);
        assert_eq!(all.items[0].age_seconds, 3600);
        let rest = page(&es, &QueueFilter::default(), 2, &all.next_page_token, now);
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.items[0].entry.draft_id, "c");
        assert!(rest.next_page_token.is_empty());

        let f = QueueFilter {
            reason_code: Some("tier_1_account".into()),
            ..Default::default()
        };
        let p = page(&es, &f, 0, "", now);
        assert_eq!(p.total, 2);
        // Reason counts ignore the reason filter, so a UI can offer the others.
        assert!(p.reason_counts.contains(&("regulated_industry".into(), 1)));
        assert_eq!(p.reason_counts[0], ("tier_1_account".into(), 2));
        assert_eq!(p.check_counts, vec![("red_line".into(), 1)]);

        let old = QueueFilter {
            min_age_seconds: Some(1800),
            ..Default::default()
        };
        assert_eq!(page(&es, &old, 0, "", now).total, 2);
        let check = QueueFilter {
            check: Some(CheckKind::RedLine),
            ..Default::default()
        };
        assert_eq!(page(&es, &check, 0, "", now).items[0].entry.draft_id, "b");
    }
}
