//! Load and validate a generated 1,000-item library, and reload it through the
//! engine (load + compile the checks + atomic swap).
//!
//! Run: `cargo bench --bench library`. The library is the bundled one plus
//! generated proofs and persona blocks up to 1,000 items.

use criterion::{Criterion, criterion_group, criterion_main};
use proofline::app::Reloader;
use proofline::config::Config;
use proofline::engine::Snapshot;
use proofline::library::Library;
use std::path::Path;
use std::time::Duration;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// The bundled library grown to `total` items with generated proofs.
fn generated_library(dir: &Path, total: usize) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["prompts", "proof-library", "policies"] {
        copy_dir(&repo.join(sub), &dir.join(sub));
    }
    let existing = Library::load(dir).unwrap().items().count();
    let template = std::fs::read_to_string(repo.join("proof-library/pp-harrow-keys.toml")).unwrap();
    for i in 0..total.saturating_sub(existing) {
        let id = format!("pp-generated-{i:04}");
        let text = template
            .replace("pp-harrow-keys", &id)
            .replace("2,300", &format!("{}", 100 + i))
            .replace(
                "Harrow & Vale Building Society",
                &format!("Generated Customer {i}"),
            );
        std::fs::write(dir.join(format!("proof-library/{id}.toml")), text).unwrap();
    }
    assert_eq!(
        Library::load(dir).unwrap().items().count(),
        total.max(existing)
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    generated_library(dir.path(), 1000);
    let mut group = c.benchmark_group("library_1000_items");
    group
        .measurement_time(Duration::from_secs(10))
        .sample_size(20);
    group.bench_function("load_and_validate", |b| {
        b.iter(|| Library::load(dir.path()).unwrap())
    });
    group.bench_function("load_validate_compile_checks", |b| {
        b.iter(|| Snapshot::build(Library::load(dir.path()).unwrap()).unwrap())
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.server.library = dir.path().display().to_string();
    let engine = std::sync::Arc::new(
        proofline::app::build_engine(&cfg, proofline::store::Store::open(data.path()).unwrap())
            .unwrap(),
    );
    let reloader = Reloader::new(engine, dir.path().display().to_string());
    group.bench_function("reload_swap", |b| {
        b.to_async(&rt)
            .iter(|| async { reloader.reload().await.unwrap() })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
