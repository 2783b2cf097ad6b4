//! Interval estimates for proportions and for a difference of proportions.
//!
//! Why these methods:
//! - **Wilson score** for one rate. Outreach rates are small (meetings are a
//!   few percent) and groups are often small. The Wald interval
//!   `p ± z·sqrt(p(1-p)/n)` collapses to zero width at 0 or n successes and
//!   undercovers badly near 0; Wilson stays inside [0, 1], is never empty and
//!   holds close to its nominal coverage down to a handful of successes.
//! - **Newcombe's hybrid score interval** (Newcombe 1998, method 10) for the
//!   difference `p_t - p_c` between two independent arms. It combines the two
//!   Wilson intervals, so it inherits their behaviour at small rates, where the
//!   Wald difference interval undercovers (and has zero width when both arms
//!   have no successes). It needs no iteration and no continuity correction.
//!
//! Pure functions; no IO.

/// The normal quantile for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The nominal confidence of every interval this crate reports.
pub const CONFIDENCE: f64 = 0.95;

/// A closed interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// The Wilson score interval for `successes` out of `trials`. With no trials
/// nothing is known: [0, 1].
pub fn wilson(successes: u64, trials: u64, z: f64) -> Interval {
    if trials == 0 {
        return Interval {
            lower: 0.0,
            upper: 1.0,
        };
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Interval {
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    }
}

/// A point estimate with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub successes: u64,
    pub trials: u64,
    /// `successes / trials`; 0 when there are no trials.
    pub rate: f64,
    pub interval: Interval,
}

impl Proportion {
    pub fn new(successes: u64, trials: u64) -> Proportion {
        Proportion {
            successes,
            trials,
            rate: if trials == 0 {
                0.0
            } else {
                successes as f64 / trials as f64
            },
            interval: wilson(successes, trials, Z95),
        }
    }
}

/// The difference `treatment - control` with Newcombe's hybrid score 95%
/// interval. When either arm has no trials the interval is [-1, 1].
pub fn difference(treatment: &Proportion, control: &Proportion) -> (f64, Interval) {
    let d = treatment.rate - control.rate;
    if treatment.trials == 0 || control.trials == 0 {
        return (
            d,
            Interval {
                lower: -1.0,
                upper: 1.0,
            },
        );
    }
    let (p1, l1, u1) = (
        treatment.rate,
        treatment.interval.lower,
        treatment.interval.upper,
    );
    let (p2, l2, u2) = (control.rate, control.interval.lower, control.interval.upper);
    let lower = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let upper = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    (
        d,
        Interval {
            lower: lower.max(-1.0),
            upper: upper.min(1.0),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Table I: 81/263 → 0.2553–0.3662; 0/20 → 0–0.1611.
        let i = wilson(81, 263, Z95);
        assert!(close(i.lower, 0.2553) && close(i.upper, 0.3662), "{i:?}");
        let i = wilson(0, 20, Z95);
        assert!(close(i.lower, 0.0) && close(i.upper, 0.1611), "{i:?}");
        assert_eq!(
            wilson(0, 0, Z95),
            Interval {
                lower: 0.0,
                upper: 1.0
            }
        );
        let i = wilson(10, 10, Z95);
        assert!(close(i.upper, 1.0) && i.lower > 0.69, "{i:?}");
    }

    #[test]
    fn newcombe_matches_published_values() {
        // Newcombe (1998) "Interval estimation for the difference between
        // independent proportions", Table II, method 10:
        // 56/70 - 48/80 → 0.0524 to 0.3339; 9/10 - 3/10 → 0.1705 to 0.8090.
        let (d, i) = difference(&Proportion::new(56, 70), &Proportion::new(48, 80));
        assert!(close(d, 0.2));
        assert!(close(i.lower, 0.0524) && close(i.upper, 0.3339), "{i:?}");
        let (_, i) = difference(&Proportion::new(9, 10), &Proportion::new(3, 10));
        assert!(close(i.lower, 0.1705) && close(i.upper, 0.8090), "{i:?}");
        let (d, i) = difference(&Proportion::new(0, 10), &Proportion::new(0, 20));
        assert_eq!(d, 0.0);
        assert!(i.lower < 0.0 && i.upper > 0.0, "{i:?}");
    }
}
