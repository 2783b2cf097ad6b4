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
    #[serde(deserialize_with = "de_date")]
    pub last_reviewed: NaiveDate,
    /// How often the item must be reviewed; overdue items warn in lint.
    #[serde(default = "default_review_days")]
    pub review_every_days: u32,
    /// Where the item may be used. Empty lists mean "any".
    #[serde(default)]
    pub allowed: Segments,
    pub risk: Risk,
    /// Proofs must carry one; an expired item is never used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_date"
    )]
    pub expires: Option<NaiveDate>,
    /// e.g. "production", "candidate". Routing trusts only "production".
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub changelog: Vec<ChangelogEntry>,
}

/// A date that accepts a TOML date (`expires = 2027-01-01`) as well as a
/// string. Plain `NaiveDate` fails on TOML dates: the toml deserializer hands
/// a native date over as a one-entry map.
struct DateStr(NaiveDate);

impl<'de> Deserialize<'de> for DateStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NaiveDate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NaiveDate, E> {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<NaiveDate, A::Error> {
                let Some((_, v)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("empty date"));
                };
                self.visit_str(&v)
            }
        }
        d.deserialize_any(V).map(DateStr)
    }
}

fn de_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    Ok(DateStr::deserialize(d)?.0)
}

fn de_opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(Option::<DateStr>::deserialize(d)?.map(|d| d.0))
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
    #[serde(deserialize_with = "de_date")]
    pub date: NaiveDate,
    pub note: String,
}

/// A semantic version `MAJOR.MINOR.PATCH`. Ordered numerically, so `1.10.0`
/// sorts after `1.9.0`. Pre-release and build suffixes are not used by the
/// library and are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.split('.');
        let mut next = || -> Option<u64> {
            let p = parts.next()?;
            if p.is_empty()
                || !p.bytes().all(|b| b.is_ascii_digit())
                || (p.len() > 1 && p.starts_with('0'))
            {
                return None;
            }
            p.parse().ok()
        };
        let v = Version {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(v)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl ItemMeta {
    /// The parsed version; `None` when `version` is not `MAJOR.MINOR.PATCH`
    /// (the loader rejects such items, so a loaded item always has one).
    pub fn semver(&self) -> Option<Version> {
        Version::parse(&self.version)
    }

    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }

    /// Whether the review date plus `review_every_days` is before `today`.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.last_reviewed + chrono::Days::new(u64::from(self.review_every_days)) < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        let a = Version::parse("1.9.0").unwrap();
        let b = Version::parse("1.10.0").unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "1.10.0");
        for bad in ["1.2", "1.2.3.4", "v1.2.3", "1.02.3", "1.2.x", ""] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn toml_dates_deserialize_into_meta() {
        let src = r#"
id = "x"
version = "1.0.0"
owner = "o"
last_reviewed = 2026-01-15
risk = "low"
expires = 2027-01-01
changelog = [{ version = "1.0.0", date = "2026-01-15", note = "n" }]
"#;
        let m: ItemMeta = toml::from_str(src).unwrap();
        assert_eq!(m.last_reviewed.to_string(), "2026-01-15");
        assert!(m.is_expired(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap()));
        // and JSON strings still work
        let j = serde_json::to_string(&m).unwrap();
        let back: ItemMeta = serde_json::from_str(&j).unwrap();
        assert_eq!(back, m);
    }
}
