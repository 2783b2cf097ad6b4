//! Plain-text tables for `proofline report`: the same numbers as the console
//! chart. Pure.

use super::aggregate::{Lift, Metric, Performance};
use super::svg::percent;

fn cell(rate: f64, lower: f64, upper: f64) -> String {
    format!("{} [{}–{}]", percent(rate), percent(lower), percent(upper))
}

fn render(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |r: &[String]| {
        r.iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (v, w))| {
                let pad = w - v.chars().count();
                if i == 0 {
                    format!("{v}{}", " ".repeat(pad))
                } else {
                    format!("{}{v}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(&header);
    out.push('\n');
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// Rates per group, downstream metrics first, each with its 95% interval.
pub fn performance(perf: &Performance, metrics: &[Metric]) -> String {
    let mut header = vec![perf.group_by.as_str().to_string(), "sent".to_string()];
    header.extend(metrics.iter().map(|m| m.as_str().to_string()));
    let rows = perf
        .groups
        .iter()
        .chain(std::iter::once(&perf.overall))
        .map(|g| {
            let mut r = vec![g.key.clone(), g.drafts_sent.to_string()];
            r.extend(metrics.iter().map(|m| {
                let e = g.rate(*m).estimate;
                cell(e.rate, e.interval.lower, e.interval.upper)
            }));
            r
        })
        .collect();
    format!(
        "{}rates per sent draft; [95% Wilson interval]\n",
        render(header, rows)
    )
}

/// Treatment minus control per metric, in accounts.
pub fn lift(l: &Lift) -> String {
    let header = [
        "metric",
        "control",
        "n",
        "treatment",
        "n",
        "difference [95%]",
        "relative",
    ]
    .map(String::from)
    .to_vec();
    let rows = l
        .lifts
        .iter()
        .map(|m| {
            let (c, t) = (&m.control.estimate, &m.treatment.estimate);
            vec![
                m.metric.as_str().to_string(),
                percent(c.rate),
                c.trials.to_string(),
                percent(t.rate),
                t.trials.to_string(),
                format!(
                    "{:+.1} pts [{:+.1}, {:+.1}]",
                    m.difference * 100.0,
                    m.interval.lower * 100.0,
                    m.interval.upper * 100.0
                ),
                m.relative
                    .map(|r| format!("{:+.0}%", r * 100.0))
                    .unwrap_or_else(|| "–".into()),
            ]
        })
        .collect();
    let arms = l
        .lifts
        .first()
        .map(|m| format!(" ({} vs control {})", m.treatment.arm, m.control.arm))
        .unwrap_or_default();
    format!(
        "experiment {}{arms}\n{}unit: accounts; difference: Newcombe hybrid score 95% interval\n",
        l.experiment,
        render(header, rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::aggregate::{ArmSample, GroupBy, GroupPerformance, MetricLift, Rate};
    use crate::outcomes::stats::{self, Proportion};

    #[test]
    fn tables_align_and_carry_intervals() {
        let g = |key: &str, x: u64, n: u64| GroupPerformance {
            key: key.into(),
            drafts_sent: n,
            rates: Metric::ALL
                .iter()
                .map(|&metric| Rate {
                    metric,
                    estimate: Proportion::new(x, n),
                })
                .collect(),
        };
        let perf = Performance {
            group_by: GroupBy::Cta,
            overall: g("all", 3, 30),
            groups: vec![g("cta-demo@1.0.0", 2, 10), g("cta-audit@1.0.0", 1, 20)],
        };
        let t = performance(&perf, &[Metric::MeetingBooked]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["cta", "sent", "meeting_booked"]
        );
        assert!(
            lines[2].starts_with("cta-demo@1.0.0  ") && lines[2].ends_with("20% [5.7%–51%]"),
            "{t}"
        );
        assert!(lines[4].starts_with("all"), "{t}");

        let (c, tr) = (Proportion::new(4, 40), Proportion::new(12, 40));
        let (difference, interval) = stats::difference(&tr, &c);
        let l = Lift {
            experiment: "x".into(),
            lifts: vec![MetricLift {
                metric: Metric::MeetingBooked,
                control: ArmSample {
                    arm: "baseline".into(),
                    estimate: c,
                },
                treatment: ArmSample {
                    arm: "genai".into(),
                    estimate: tr,
                },
                difference,
                interval,
                relative: Some(2.0),
            }],
        };
        let t = lift(&l);
        assert!(
            t.starts_with("experiment x (genai vs control baseline)"),
            "{t}"
        );
        assert!(t.contains("+20.0 pts [") && t.contains("+200%"), "{t}");
    }
}
