//! The review console in a real headless Chromium (Debian's package; CI
//! installs it): sign in with a reviewer token, see a flagged draft with its
//! finding highlighted, approve it with the keyboard and see it leave the
//! queue. Also: text from briefs and models never becomes markup.
//!
//! Without a Chromium binary the test is skipped locally and fails under CI.
//! Screenshots land in `$CARGO_TARGET_TMPDIR/console-*.png`.

#[path = "review_support/cdp.rs"]
mod cdp;
mod common;
mod review_support;

use proofline::model::{CheckKind, DraftStatus};
use review_support::*;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("console-{name}.png"))
}

#[tokio::test]
async fn reviewer_approves_a_flagged_draft_in_the_console() {
    let Some(chromium) = cdp::chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed (scripts/test.sh installs Debian's chromium)");
        }
        eprintln!("SKIPPED: no chromium at /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    tokio::time::timeout(Duration::from_secs(120), run(chromium))
        .await
        .expect("browser test finishes within 120s");
}

async fn run(chromium: PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let ashgrove = brief("acct-ashgrove");
    let merrow = brief("acct-merrow");
    let flagged = seed(
        &server,
        Seed::new(
            &ashgrove,
            "Hi Dana,\n\nAfter your HIPAA audit webinar, one number stood out: we guarantee a 40% cut \
             in audit prep time for teams like Ashgrove.\n\nWorth 20 minutes next week?\n\nSam",
        )
        .finding("guarantee a 40% cut", CheckKind::RedLine, "roi_guarantee"),
    )
    .await;
    let hostile =
        "Hi <b>there</b> <img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
    let mut markup = Seed::new(&merrow, hostile);
    markup.findings.push((
        "<img src=x onerror=\"window.__pwned=1\">",
        CheckKind::Tone,
        "markup_in_text",
        proofline::model::Severity::Warning,
    ));
    let markup = seed(&server, markup).await;

    let mut b = cdp::Browser::launch(&chromium).await;
    let base = format!("http://{}", server.http);
    b.goto(&format!("{base}/console/")).await;
    b.wait_for(
        "the sign-in form",
        "!document.getElementById('login').hidden",
    )
    .await;
    b.eval("document.getElementById('token').focus()").await;
    b.type_text(ALICE).await;
    b.press("Enter").await;

    // The queue shows both drafts; the oldest (the flagged one) is open.
    b.wait_for(
        "two drafts in the queue",
        "document.querySelectorAll('#queue-list li').length === 2",
    )
    .await;
    b.wait_for(
        "the flagged draft open",
        &format!(
            "document.querySelector('#queue-list li.active')?.dataset.draftId === {}",
            json!(flagged.draft_id)
        ),
    )
    .await;
    assert_eq!(
        b.eval("document.getElementById('whoami').textContent")
            .await,
        "alice"
    );
    assert_eq!(
        b.eval("document.getElementById('total').textContent").await,
        "2"
    );
    // The finding is highlighted in the text, as blocking, and listed.
    let marked = b
        .eval("Array.from(document.querySelectorAll('#d-body mark.finding.blocking')).map(m => m.textContent)")
        .await;
    assert_eq!(marked, json!(["guarantee a 40% cut"]));
    let listed = b
        .eval("document.getElementById('d-findings').innerText")
        .await;
    assert!(
        listed.as_str().unwrap().contains("roi_guarantee"),
        "{listed}"
    );
    assert!(
        listed
            .as_str()
            .unwrap()
            .contains("no approved proof states this")
    );
    let variables = b
        .eval("document.getElementById('c-vars').textContent")
        .await;
    assert!(variables.as_str().unwrap().contains(&ashgrove.account_name));
    b.screenshot(&shot("flagged")).await;

    // Approve with the keyboard: the draft leaves the queue, the next opens.
    b.press("a").await;
    b.wait_for(
        "the approved draft to leave the queue",
        &format!(
            "document.querySelectorAll('#queue-list li').length === 1 && \
             !document.querySelector('#queue-list li[data-draft-id={}]')",
            json!(flagged.draft_id)
        ),
    )
    .await;
    b.wait_for(
        "the next draft open",
        &format!(
            "document.querySelector('#queue-list li.active')?.dataset.draftId === {}",
            json!(markup.draft_id)
        ),
    )
    .await;
    assert_eq!(
        b.eval("document.getElementById('total').textContent").await,
        "1"
    );
    let stored = server.engine.get_draft(TENANT, &flagged.draft_id).unwrap();
    assert_eq!(stored.status, DraftStatus::Approved);
    let history = server
        .engine
        .store()
        .draft_decisions(TENANT, &flagged.draft_id)
        .unwrap();
    assert_eq!(history[0].reviewer, "alice");

    // Model text with markup in it is shown as text, never run or parsed.
    let body = b
        .eval("document.getElementById('d-body').textContent")
        .await;
    assert_eq!(body, json!(hostile));
    assert_eq!(
        b.eval("document.querySelectorAll('#d-body img, #d-body script, #d-body b').length")
            .await,
        json!(0)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(b.eval("window.__pwned === undefined").await, json!(true));
    b.screenshot(&shot("after-approve")).await;

    // Reject with the keyboard: r, a reason by number, Enter.
    b.press("r").await;
    b.wait_for(
        "the reject dialog",
        "document.getElementById('reject-dialog').open",
    )
    .await;
    b.press("3").await;
    b.screenshot(&shot("reject-dialog")).await;
    b.press("Enter").await;
    b.wait_for(
        "an empty queue",
        "document.querySelectorAll('#queue-list li').length === 0 && !document.getElementById('empty').hidden",
    )
    .await;
    let rejected = server.engine.get_draft(TENANT, &markup.draft_id).unwrap();
    assert_eq!(rejected.status, DraftStatus::Rejected);
    let decisions = server
        .engine
        .store()
        .draft_decisions(TENANT, &markup.draft_id)
        .unwrap();
    assert_eq!(decisions[0].reason_code, "red_line");

    b.close().await;
    server.stop().await;
}
