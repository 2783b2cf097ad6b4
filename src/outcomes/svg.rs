//! The console's performance chart: one panel per metric, one row per group,
//! a dot at the rate and a bar across its 95% interval. Plain SVG text with
//! no scripts, fonts or external assets. Pure.

use super::aggregate::{Metric, Performance};
use std::fmt::Write;

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 230.0;
const VALUE_W: f64 = 150.0;
const ROW_H: f64 = 22.0;
const PANEL_HEAD: f64 = 34.0;
const PANEL_GAP: f64 = 16.0;
const PLOT_W: f64 = WIDTH - LABEL_W - VALUE_W - 20.0;

/// Escape text for SVG/HTML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A scale top that reads well: the smallest of 1%, 2%, 5%, 10%, 20%, 50%,
/// 100% at or above `x`.
fn nice_max(x: f64) -> f64 {
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
        .into_iter()
        .find(|m| *m >= x)
        .unwrap_or(1.0)
}

/// The chart for `metrics` (one panel each) over every group, largest first.
pub fn chart(perf: &Performance, metrics: &[Metric]) -> String {
    let rows = perf.groups.len().max(1) as f64;
    let panel_h = PANEL_HEAD + rows * ROW_H + 18.0;
    let height = 30.0 + metrics.len() as f64 * (panel_h + PANEL_GAP);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" role="img">"#
    );
    let _ = write!(
        s,
        r#"<title>Outcome rates by {by} with 95% Wilson intervals</title><text x="10" y="20" font-size="14" font-weight="bold">Rates by {by} (95% Wilson intervals, per sent draft; n = drafts sent)</text>"#,
        by = perf.group_by.as_str()
    );
    for (p, metric) in metrics.iter().enumerate() {
        let top = 30.0 + p as f64 * (panel_h + PANEL_GAP);
        let max = nice_max(
            perf.groups
                .iter()
                .map(|g| g.rate(*metric).estimate.interval.upper)
                .fold(0.0, f64::max),
        );
        let x = |v: f64| LABEL_W + (v / max).clamp(0.0, 1.0) * PLOT_W;
        let _ = write!(
            s,
            r##"<g class="panel" data-metric="{m}"><text x="10" y="{ty}" font-weight="bold">{label}</text>"##,
            m = metric.as_str(),
            ty = top + 18.0,
            label = escape(metric.label()),
        );
        let axis_y = top + PANEL_HEAD + rows * ROW_H;
        // Gridlines at 0, 25, 50, 75, 100% of the scale.
        for i in 0..=4 {
            let v = max * i as f64 / 4.0;
            let gx = x(v);
            let _ = write!(
                s,
                r##"<line x1="{gx:.1}" y1="{y1:.1}" x2="{gx:.1}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{gx:.1}" y="{ly:.1}" text-anchor="middle" fill="#555" font-size="10">{pct}</text>"##,
                y1 = top + PANEL_HEAD - 6.0,
                ly = axis_y + 13.0,
                pct = percent(v),
            );
        }
        if perf.groups.is_empty() {
            let _ = write!(
                s,
                r##"<text x="{LABEL_W}" y="{y:.1}" fill="#777">no sent drafts yet</text>"##,
                y = top + PANEL_HEAD + 14.0
            );
        }
        for (r, g) in perf.groups.iter().enumerate() {
            let e = g.rate(*metric).estimate;
            let cy = top + PANEL_HEAD + r as f64 * ROW_H + ROW_H / 2.0;
            let (lx, ux, px) = (x(e.interval.lower), x(e.interval.upper), x(e.rate));
            let _ = write!(
                s,
                r##"<g class="row" data-key="{key}" data-rate="{rate:.6}" data-lower="{lo:.6}" data-upper="{hi:.6}" data-n="{n}"><text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text><line x1="{lx:.1}" y1="{cy:.1}" x2="{ux:.1}" y2="{cy:.1}" stroke="#4a6fa5" stroke-width="3"/><line x1="{lx:.1}" y1="{a:.1}" x2="{lx:.1}" y2="{b:.1}" stroke="#4a6fa5"/><line x1="{ux:.1}" y1="{a:.1}" x2="{ux:.1}" y2="{b:.1}" stroke="#4a6fa5"/><circle cx="{px:.1}" cy="{cy:.1}" r="4" fill="#1f3b63"/><text x="{vx}" y="{ty:.1}" fill="#333">{value}</text></g>"##,
                key = escape(&g.key),
                rate = e.rate,
                lo = e.interval.lower,
                hi = e.interval.upper,
                n = g.drafts_sent,
                tx = LABEL_W - 8.0,
                ty = cy + 4.0,
                label = escape(&truncate(&g.key, 34)),
                a = cy - 5.0,
                b = cy + 5.0,
                vx = WIDTH - VALUE_W,
                value = escape(&format!(
                    "{} [{}–{}] n={}",
                    percent(e.rate),
                    percent(e.interval.lower),
                    percent(e.interval.upper),
                    g.drafts_sent
                )),
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

pub fn percent(v: f64) -> String {
    if v > 0.0 && v < 0.1 {
        format!("{:.1}%", v * 100.0)
    } else {
        format!("{:.0}%", v * 100.0)
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::aggregate::{GroupBy, GroupPerformance, Rate};
    use crate::outcomes::stats::Proportion;

    fn group(key: &str, hits: u64, n: u64) -> GroupPerformance {
        GroupPerformance {
            key: key.into(),
            drafts_sent: n,
            rates: Metric::ALL
                .iter()
                .map(|&metric| Rate {
                    metric,
                    estimate: Proportion::new(hits, n),
                })
                .collect(),
        }
    }

    #[test]
    fn one_row_per_group_escaped_and_self_contained() {
        let perf = Performance {
            group_by: GroupBy::Cta,
            overall: group("all", 7, 60),
            groups: vec![
                group("cta-<demo>@1.0.0", 5, 40),
                group("cta-audit@2.0.0", 2, 20),
            ],
        };
        let svg = chart(&perf, &[Metric::MeetingBooked, Metric::Replied]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches(r#"class="row""#).count(), 4);
        assert!(svg.contains("cta-&lt;demo&gt;@1.0.0"));
        assert!(!svg.contains("<demo>"));
        assert!(!svg.contains("href") && !svg.contains("<script"));
        assert!(svg.contains(r#"data-n="40""#));
    }
}
