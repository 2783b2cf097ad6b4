//! Metadata every library item carries (seed 5.6): id, semantic version,
//! owner, review date, allowed segments, risk level, expiry (proofs), labels
//! and a changelog.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemMeta {
    pub id: String,
    /// Semantic version, e.g. "1.2.0".
    pub version: String,
    pub owner: String,
    pub last_reviewed: NaiveDate,
    /// How often the item must be reviewed; overdue items warn in lint.
    #[serde(default = "default_review_days")]
    pub review_every_days: u32,
    /// Where the item may be used. Empty lists mean "any".
    #[serde(default)]
    pub allowed: Segments,
    pub risk: Risk,
    /// Proofs must carry one; an expired item is never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    /// e.g. "production", "candidate". Routing trusts only "production".
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub changelog: Vec<ChangelogEntry>,
}

fn default_review_days() -> u32 {
    180
}

impl ItemMeta {
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    pub fn is_trusted(&self) -> bool {
        self.labels.iter().any(|l| l == "production")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segments {
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub tiers: Vec<u32>,
    #[serde(default)]
    pub regions: Vec<String>,
}

impl Segments {
    /// Whether an account with these attributes may see the item. Industry and
    /// region compare case-insensitively.
    pub fn allows(&self, industry: &str, tier: u32, region: &str) -> Result<(), SegmentMismatch> {
        let any_eq = |list: &[String], v: &str| {
            list.is_empty() || list.iter().any(|x| x.eq_ignore_ascii_case(v))
        };
        if !any_eq(&self.industries, industry) {
            return Err(SegmentMismatch::Industry);
        }
        if !(self.tiers.is_empty() || self.tiers.contains(&tier)) {
            return Err(SegmentMismatch::Tier);
        }
        if !any_eq(&self.regions, region) {
            return Err(SegmentMismatch::Region);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentMismatch {
    Industry,
    Tier,
    Region,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangelogEntry {
    pub version: String,
    pub date: NaiveDate,
    pub note: String,
}
