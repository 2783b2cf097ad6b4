//! The landing-page preview: a landing_page draft's plain text as a
//! standalone HTML page. Pure: no IO.
//!
//! The structure comes from the text's plain layout, never from markup in
//! it: blocks are separated by blank lines; the first line of the page is
//! the headline (`h1`) and a one-line block right after it the subheadline;
//! a block whose first line reads as a heading (short, no closing
//! punctuation) followed by more lines gets an `h2`; lines starting with
//! `- `, `* ` or `• ` form a bullet list; every other line is a paragraph.
//!
//! Every piece of text reaches the page through minijinja with HTML
//! autoescaping (`<`, `>`, `&`, `"`, `'`, `/`), only as element content and
//! never inside an attribute. The page has no script, no links and no
//! external resources; the HTTP handler adds a CSP that forbids them too.

use serde::Serialize;
use std::sync::LazyLock;

/// One block of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// The headline (`h1`).
    Title {
        text: String,
    },
    /// The subheadline under it.
    Lead {
        text: String,
    },
    /// A section heading (`h2`).
    Heading {
        text: String,
    },
    Paragraph {
        text: String,
    },
    /// A bullet list (`ul`).
    List {
        items: Vec<String>,
    },
}

/// A heading line: short and without closing punctuation.
fn heading_like(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.chars().count() <= 100
        && !t.ends_with(['.', ',', ';', ':', '!', '?'])
        && bullet(t).is_none()
}

/// The item text of a bullet line.
fn bullet(line: &str) -> Option<&str> {
    let t = line.trim_start();
    ["- ", "* ", "• "]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .map(str::trim)
}

/// Lines → paragraphs and bullet lists.
fn flow(lines: &[&str], out: &mut Vec<Block>) {
    for line in lines {
        match (bullet(line), out.last_mut()) {
            (Some(item), Some(Block::List { items })) => items.push(item.to_string()),
            (Some(item), _) => out.push(Block::List {
                items: vec![item.to_string()],
            }),
            (None, _) => out.push(Block::Paragraph {
                text: line.trim().to_string(),
            }),
        }
    }
}

/// The blocks of a landing page's plain text.
pub fn structure(text: &str) -> Vec<Block> {
    let text = text.replace("\r\n", "\n");
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    let mut out = Vec::new();
    for (i, lines) in groups.iter().enumerate() {
        let first = lines[0].trim();
        if i == 0 && (lines.len() == 1 || heading_like(first)) && bullet(first).is_none() {
            out.push(Block::Title {
                text: first.to_string(),
            });
            flow(&lines[1..], &mut out);
        } else if i == 1
            && lines.len() == 1
            && bullet(first).is_none()
            && matches!(out.last(), Some(Block::Title { .. }))
        {
            out.push(Block::Lead {
                text: first.to_string(),
            });
        } else if lines.len() >= 2 && heading_like(first) {
            out.push(Block::Heading {
                text: first.to_string(),
            });
            flow(&lines[1..], &mut out);
        } else {
            flow(lines, &mut out);
        }
    }
    out
}

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{{ title }}</title>
<style>
body { font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #fff; margin: 0; }
main { max-width: 44rem; margin: 0 auto; padding: 3rem 1.25rem 4rem; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: 0 0 .75rem; }
.lead { font-size: 1.2rem; color: #57606a; margin: 0 0 2rem; }
h2 { font-size: 1.3rem; margin: 2.25rem 0 .5rem; }
ul { padding-left: 1.25rem; }
li { margin: .35rem 0; }
.preview { font-size: .8rem; color: #6e7781; border-bottom: 1px solid #d0d7de; padding: .5rem 1.25rem; }
</style>
</head>
<body>
<div class="preview">Preview of draft {{ draft_id }}</div>
<main>
{%- for b in blocks %}
{%- if b.kind == "title" %}
<h1>{{ b.text }}</h1>
{%- elif b.kind == "lead" %}
<p class="lead">{{ b.text }}</p>
{%- elif b.kind == "heading" %}
<h2>{{ b.text }}</h2>
{%- elif b.kind == "paragraph" %}
<p>{{ b.text }}</p>
{%- elif b.kind == "list" %}
<ul>
{%- for item in b.items %}
<li>{{ item }}</li>
{%- endfor %}
</ul>
{%- endif %}
{%- endfor %}
</main>
</body>
</html>
"#;

static ENV: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    // Escape every value, whatever the template is called.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("landing.html", TEMPLATE)
        .expect("the landing page template compiles");
    env
});

/// The standalone HTML page for a landing_page draft's text.
pub fn render(draft_id: &str, text: &str) -> Result<String, minijinja::Error> {
    let blocks = structure(text);
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title { text } => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("Landing page");
    ENV.get_template("landing.html")?
        .render(minijinja::context! {
            title => title,
            draft_id => draft_id,
            blocks => blocks,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PAGE: &str = "Audit evidence at Wexcombe Borough Council\n\n\
        Prepared for compliance teams at Wexcombe Borough Council\n\n\
        I read that Wexcombe is moving council services to cloud hosting. Changes like this matter.\n\n\
        For the compliance team\n\
        Assessments go more smoothly when evidence is collected as the work happens.\n\n\
        What similar teams have done\n\
        - Brackenfield County Council replaced 11 audit spreadsheets.\n\
        - Another council did too.\n\n\
        Next step\n\
        Would a 30-minute demo be useful?\n\n\
        Contact: Dana Whitfield, Account Executive, Larchmont Security\n";

    fn t(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn plain_layout_becomes_headings_paragraphs_and_lists() {
        assert_eq!(
            structure(PAGE),
            vec![
                Block::Title {
                    text: t("Audit evidence at Wexcombe Borough Council")
                },
                Block::Lead {
                    text: t("Prepared for compliance teams at Wexcombe Borough Council")
                },
                Block::Paragraph {
                    text: t(
                        "I read that Wexcombe is moving council services to cloud hosting. Changes like this matter."
                    )
                },
                Block::Heading {
                    text: t("For the compliance team")
                },
                Block::Paragraph {
                    text: t(
                        "Assessments go more smoothly when evidence is collected as the work happens."
                    )
                },
                Block::Heading {
                    text: t("What similar teams have done")
                },
                Block::List {
                    items: vec![
                        t("Brackenfield County Council replaced 11 audit spreadsheets."),
                        t("Another council did too.")
                    ]
                },
                Block::Heading {
                    text: t("Next step")
                },
                Block::Paragraph {
                    text: t("Would a 30-minute demo be useful?")
                },
                Block::Paragraph {
                    text: t("Contact: Dana Whitfield, Account Executive, Larchmont Security")
                },
            ]
        );
        let html = render("01ABC", PAGE).unwrap();
        assert!(html.contains("<h1>Audit evidence at Wexcombe Borough Council</h1>"));
        assert!(html.contains("<h2>What similar teams have done</h2>\n<ul>\n<li>"));
        assert!(html.contains("<title>Audit evidence at Wexcombe Borough Council</title>"));
    }

    #[test]
    fn markup_in_the_text_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script>\n\n\
            Sub <img src=x onerror=alert(2)>\n\n\
            Heading \"quoted\" 'single' & <b>bold</b>\n\
            - <a href=\"javascript:alert(3)\">click</a>\n\
            Body </p></main><script src=//evil.example/x.js></script>\n";
        let html = render("<id>\"", evil).unwrap();
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</title>"));
        assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</h1>"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
        assert!(html.contains("&quot;quoted&quot; &#x27;single&#x27; &amp;"));
        assert!(html.contains("Preview of draft &lt;id&gt;&quot;"));
    }

    proptest! {
        /// Whatever the text, it adds no `<` to the page: every `<` in the
        /// output is the template's own.
        #[test]
        fn text_never_adds_markup(s in r#"[a-z<>&"'/= \n.:-]{0,200}"#) {
            let neutral = s.replace(['<', '>', '&', '"', '\'', '/', '='], "x");
            let html = render("d", &s).unwrap();
            prop_assert_eq!(
                html.matches('<').count(),
                render("d", &neutral).unwrap().matches('<').count()
            );
            prop_assert!(!html.contains("<script"));
        }
    }
}
