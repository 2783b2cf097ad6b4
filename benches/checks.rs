//! All three checks on a ~150-word email, one core.
//! `cargo bench --bench checks`
//!
//! Per call, on 2026-12-04 (criterion median on a shared 2-core machine;
//! instructions from `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect='*one_pipeline*'` (etc.) over `--bench --profile-time 6
//! <name>`, total Ir / calls of the wrapper):
//!
//! | bench                      | 856d7ee (main)    | 72c63b7          |
//! |----------------------------|-------------------|------------------|
//! | `pipeline_email_150_words` | 87.3 µs, 1,000k   | 56.2 µs, 719k    |
//! | `prepared_email_150_words` | -                 | 39.7 µs, 491k    |
//! | `check_grounding`          | 54.9 µs, 732k     | 48.5 µs, 602k    |
//! | `check_red_line`           | 19.3 µs, 138k     | 6.0 µs, 87k      |
//! | `check_tone`               | 14.7 µs, 178k     | 10.8 µs, 164k    |
//!
//! Branch perf2 (facts table), instructions only, callgrind as above with
//! `--profile-time 2`; both columns re-measured on 2026-12-04 with the same
//! toolchain (72c63b7 reads higher here than in the table above):
//!
//! | bench                      | 72c63b7 | perf2 |
//! |----------------------------|---------|-------|
//! | `prepare_facts`            | 143k    | 106k  |
//! | `pipeline_email_150_words` | 757k    | 664k  |
//! | `prepared_email_150_words` | 518k    | 466k  |
//!
//! Merged main (f519e24), criterion medians with `--measurement-time 8` on
//! the otherwise idle machine: `pipeline_email_150_words` 60.1 µs,
//! `prepared_email_150_words` 38.7 µs, `prepare_facts` 11.7 µs,
//! `check_grounding` 45.2 µs, `check_red_line` 7.1 µs, `check_tone` 11.4 µs.
//!
//! `prepare_facts` is `Pipeline::prepare` alone (`one_prepare`): number and
//! month words by byte match, fact paths rendered only when cited, token
//! flags on the stack and a tokenizer that does not decode ASCII.
//!
//! `prepared_email_150_words` builds the brief's facts table once
//! (`Pipeline::prepare`); `pipeline_email_150_words` builds it on every
//! call. Where the rest goes (prepared, 72c63b7): grounding
//! ~380k (claim extraction `facts::extract` ~85k, name classification,
//! the certification/award/hedge regexes), part views ~50k (masking,
//! sentences), the rule `RegexSet` pass ~33k, tokenizing ~30k, tone ~50k.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use proofline::checks::{Check, CheckInput, Pipeline, Prepared};
use proofline::model::{
    AccountBrief, Channel, DraftText, Finding, Initiative, ProofFact, Sender, Trigger,
};

// One call each, never inlined, so that a profiler can count calls and
// instructions per call (`valgrind --tool=callgrind --collect-atstart=no
// --toggle-collect='*one_pipeline*'`, and so on).
#[inline(never)]
fn one_pipeline(p: &Pipeline, input: &CheckInput<'_>) -> Vec<Finding> {
    p.run(input)
}

#[inline(never)]
fn one_prepared(p: &Prepared<'_>, draft: &DraftText) -> Vec<Finding> {
    p.run(Channel::Email, draft)
}

#[inline(never)]
fn one_prepare<'a>(
    p: &'a Pipeline,
    b: &'a AccountBrief,
    proofs: &'a [ProofFact],
    comps: &'a [String],
) -> Prepared<'a> {
    p.prepare(b, proofs, comps)
}

#[inline(never)]
fn one_check(chk: &dyn Check, input: &CheckInput<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    chk.check(input, &mut out);
    out
}

fn brief() -> AccountBrief {
    AccountBrief {
        account_name: "Brightwater Health System".into(),
        industry: "Healthcare".into(),
        region: "North America".into(),
        tier: 1,
        persona: "CISO".into(),
        stage: "evaluating".into(),
        trigger: Trigger {
            kind: "webinar_attended".into(),
            summary: "Attended our webinar 'Zero-trust for clinical data'".into(),
            occurred_on: "2026-11-12".into(),
        },
        known_initiatives: vec![Initiative {
            text: "Expanding telehealth services to three new states".into(),
            source_url: "https://example.com/press".into(),
            observed_on: "2026-10-01".into(),
        }],
        intent_topics: vec!["data residency".into(), "HIPAA".into()],
        recent_engagement: vec![
            "Attended webinar 'Zero-trust for clinical data' on 2026-11-12".into(),
        ],
        hypotheses: vec!["May be evaluating Vaultline as an alternative".into()],
        proof_point_ids: vec!["pp-litware".into(), "pp-lucerne".into()],
        cta_offers: vec!["15-minute security Q&A".into()],
        sender: Sender {
            name: "Maya Chen".into(),
            title: "Account Executive".into(),
            company: "Acme Shield".into(),
        },
        ..Default::default()
    }
}

const BODY: &str = "Hi Dana,

Thanks for joining our webinar on zero-trust for clinical data on 12 November. With Brightwater expanding telehealth into three new states, questions about where patient data lives and who can reach it tend to multiply.

Two references that may be relevant. Litware Health moved 1.2 million patient records into Acme Shield Vault over a 10-week migration with no unplanned downtime. Lucerne Clinics passed its HIPAA risk assessment with zero high-severity findings in the first year after deploying Vault.

Are you also looking at Vaultline? If so, I'm happy to walk through how teams usually compare the two, and where each approach fits a health system of your size and shape.

Would a 15-minute security Q&A be useful? I can also send a short summary of how Lucerne organised its evidence, if that is easier to share with your team.

Maya Chen
Account Executive, Acme Shield";

fn bench(c: &mut Criterion) {
    let pipeline = Pipeline::bundled();
    let b = brief();
    let proofs = vec![
        ProofFact {
            id: "pp-litware".into(),
            text: "Litware Health moved 1.2 million patient records into Acme Shield Vault over a 10-week migration with no unplanned downtime.".into(),
            source: "Litware Health case study, 2025".into(),
        },
        ProofFact {
            id: "pp-lucerne".into(),
            text: "Lucerne Clinics passed its HIPAA risk assessment with zero high-severity findings in the first year after deploying Acme Shield Vault.".into(),
            source: "Lucerne Clinics customer story, 2026".into(),
        },
    ];
    let comps = vec!["Vaultline".to_string()];
    let draft = DraftText {
        subject: Some("Telehealth expansion and patient-record access".into()),
        body: BODY.into(),
    };
    let input = CheckInput {
        channel: Channel::Email,
        brief: &b,
        proofs: &proofs,
        competitors: &comps,
        draft: &draft,
    };
    c.bench_function("pipeline_email_150_words", |bch| {
        bch.iter(|| black_box(one_pipeline(&pipeline, black_box(&input))))
    });
    // Building the brief's facts table alone.
    c.bench_function("prepare_facts", |bch| {
        bch.iter(|| black_box(one_prepare(&pipeline, black_box(&b), &proofs, &comps)))
    });
    // The brief's facts table built once, as for several channels of one brief.
    let prepared = pipeline.prepare(&b, &proofs, &comps);
    c.bench_function("prepared_email_150_words", |bch| {
        bch.iter(|| black_box(one_prepared(&prepared, black_box(&draft))))
    });
    for chk in pipeline.checks() {
        c.bench_function(&format!("check_{}", chk.kind()), |bch| {
            bch.iter(|| black_box(one_check(chk, black_box(&input))))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
