//! The console's performance page: links to every grouping, the chart inline
//! and the lift of the running experiment. Self-contained HTML (inline CSS and
//! SVG, no scripts, no external assets). Pure.

use super::aggregate::{GroupBy, Lift, Metric, Performance};
use super::svg::{chart, escape, percent};
use std::fmt::Write;

/// The metrics charted on the page: downstream first.
pub const CHARTED: [Metric; 4] = [
    Metric::MeetingBooked,
    Metric::PositiveReply,
    Metric::OpportunityCreated,
    Metric::Replied,
];

pub fn render(perf: &Performance, lift: Option<&Lift>, query: &str) -> String {
    let mut h = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Proofline · performance</title>\
         <style>body{font-family:sans-serif;margin:24px;color:#222}nav a{margin-right:10px}\
         nav a.on{font-weight:bold;text-decoration:none;color:#000}table{border-collapse:collapse;margin:12px 0}\
         td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}\
         .note{color:#666;font-size:13px}</style></head><body><h1>Performance</h1>",
    );
    h.push_str("<nav>Group by: ");
    for g in GroupBy::ALL {
        let _ = write!(
            h,
            r#"<a href="/performance?by={by}"{on}>{by}</a>"#,
            by = g.as_str(),
            on = if g == perf.group_by {
                r#" class="on""#
            } else {
                ""
            },
        );
    }
    let _ = write!(
        h,
        r#"</nav><p class="note">{n} drafts sent. Rates per sent draft, downstream first; bars are 95% Wilson intervals. <a href="/performance.svg?{q}">SVG</a></p>"#,
        n = perf.overall.drafts_sent,
        q = escape(query),
    );
    h.push_str(&chart(perf, &CHARTED));
    h.push_str("<h2>Table</h2><table><tr><th>");
    h.push_str(perf.group_by.as_str());
    h.push_str("</th><th>sent</th>");
    for m in Metric::ALL {
        let _ = write!(h, "<th>{}</th>", m.as_str());
    }
    h.push_str("</tr>");
    for g in perf.groups.iter().chain(std::iter::once(&perf.overall)) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>",
            escape(&g.key),
            g.drafts_sent
        );
        for r in &g.rates {
            let e = r.estimate;
            let _ = write!(
                h,
                "<td>{} <span class=\"note\">[{}–{}]</span></td>",
                percent(e.rate),
                percent(e.interval.lower),
                percent(e.interval.upper)
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if let Some(l) = lift {
        let _ = write!(
            h,
            "<h2>Lift: {}</h2><p class=\"note\">Treatment minus control, in accounts; 95% Newcombe interval.</p>\
             <table><tr><th>metric</th><th>control</th><th>n</th><th>treatment</th><th>n</th><th>difference</th><th>95% interval</th></tr>",
            escape(&l.experiment)
        );
        for m in &l.lifts {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{:+.1} pts</td><td>[{:+.1}, {:+.1}]</td></tr>",
                m.metric.as_str(),
                percent(m.control.estimate.rate),
                escape(&m.control.arm),
                m.control.estimate.trials,
                percent(m.treatment.estimate.rate),
                escape(&m.treatment.arm),
                m.treatment.estimate.trials,
                m.difference * 100.0,
                m.interval.lower * 100.0,
                m.interval.upper * 100.0
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>");
    h
}
