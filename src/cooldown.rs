//! Cooldowns per play (seed 4.5): a play is (account, trigger kind); a repeat
//! of a channel inside the play's cooldown is suppressed, naming the earlier
//! drafts. Pure: the caller passes the earlier plays and the clock.

use crate::model::Channel;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `policies/cooldowns.toml`, the `[rules]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CooldownPolicy {
    /// Days between two drafts of one channel for one play.
    pub default_days: u32,
    /// Per trigger kind overrides.
    #[serde(default)]
    pub per_trigger: BTreeMap<String, u32>,
}

#[derive(Deserialize)]
struct File {
    rules: CooldownPolicy,
}

impl CooldownPolicy {
    /// Parse the policy file (its `[meta]` is the library's business).
    pub fn parse(raw: &str) -> Result<CooldownPolicy, String> {
        toml::from_str::<File>(raw)
            .map(|f| f.rules)
            .map_err(|e| format!("policies/cooldowns.toml: {e}"))
    }

    pub fn days_for(&self, trigger_kind: &str) -> u32 {
        self.per_trigger
            .get(trigger_kind)
            .copied()
            .unwrap_or(self.default_days)
    }
}

/// An earlier draft of a play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayDraft {
    pub draft_id: String,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
}

/// Why a request was suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppressed {
    pub reason: String,
    pub earlier_draft_ids: Vec<String>,
    pub until: DateTime<Utc>,
}

/// Decide whether asking for `channels` now repeats a play inside its
/// cooldown.
pub fn check(
    policy: &CooldownPolicy,
    trigger_kind: &str,
    channels: &[Channel],
    earlier: &[PlayDraft],
    now: DateTime<Utc>,
) -> Option<Suppressed> {
    let days = policy.days_for(trigger_kind);
    if days == 0 {
        return None;
    }
    let window = Duration::days(days as i64);
    let hits: Vec<&PlayDraft> = earlier
        .iter()
        .filter(|d| channels.contains(&d.channel) && d.created_at + window > now)
        .collect();
    let until = hits.iter().map(|d| d.created_at + window).max()?;
    let mut repeated: Vec<&str> = hits.iter().map(|d| d.channel.as_str()).collect();
    repeated.sort();
    repeated.dedup();
    Some(Suppressed {
        reason: format!(
            "{} already sent for this account's {trigger_kind} play within its {days}-day cooldown",
            repeated.join(", ")
        ),
        earlier_draft_ids: hits.iter().map(|d| d.draft_id.clone()).collect(),
        until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CooldownPolicy {
        CooldownPolicy::parse(include_str!("../policies/cooldowns.toml")).unwrap()
    }

    #[test]
    fn bundled_policy_parses() {
        let p = policy();
        assert_eq!(p.days_for("intent_surge"), 21);
        assert_eq!(p.days_for("job_change"), 14);
    }

    #[test]
    fn repeats_inside_the_window_are_suppressed_per_channel() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let earlier = vec![PlayDraft {
            draft_id: "d1".into(),
            channel: Channel::Email,
            created_at: t0,
        }];
        let p = policy();
        let s = check(
            &p,
            "job_change",
            &[Channel::Email],
            &earlier,
            t0 + Duration::days(3),
        )
        .unwrap();
        assert_eq!(s.earlier_draft_ids, ["d1"]);
        assert_eq!(s.until, t0 + Duration::days(14));
        assert!(
            s.reason.contains("email") && s.reason.contains("14-day"),
            "{}",
            s.reason
        );
        // Another channel of the same play is a new touch, not a repeat.
        assert!(
            check(
                &p,
                "job_change",
                &[Channel::LinkedinConnection],
                &earlier,
                t0
            )
            .is_none()
        );
        // After the window the play may run again.
        assert!(
            check(
                &p,
                "job_change",
                &[Channel::Email],
                &earlier,
                t0 + Duration::days(14)
            )
            .is_none()
        );
    }
}
