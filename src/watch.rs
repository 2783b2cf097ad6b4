//! Reload the library when its files change (`[server] watch_library`).
//!
//! Watches the library's `prompts/`, `proof-library/` and `policies/`
//! folders (never the whole directory: `./` usually also holds `data/` and
//! `target/`), debounces bursts of events (a `git pull` touches many files at
//! once) and then reloads through the same [`Reloader`] as SIGHUP and the
//! RPC: the new library is validated completely and a broken one never
//! replaces the running one. Each reload is audited with actor `watcher`.

use crate::app::Reloader;
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The library folders that hold items.
pub const FOLDERS: [&str; 3] = ["prompts", "proof-library", "policies"];

/// The directory a `server.library` setting loads from, if it is one.
pub fn library_dir(spec: &str) -> Option<PathBuf> {
    match spec {
        "bundled" => None,
        "" => (Path::new("prompts").is_dir() && Path::new("policies").is_dir())
            .then(|| PathBuf::from(".")),
        dir => Some(PathBuf::from(dir)),
    }
}

/// Editors' swap and backup files and hidden files do not count. (Only the
/// file name is looked at: the library itself may live under a hidden
/// directory.)
fn relevant(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy())
        .is_some_and(|n| {
            !n.starts_with('.') && !n.ends_with('~') && !n.ends_with(".swp") && !n.ends_with(".tmp")
        })
}

/// Start watching `dir`; reloads run until `stop` resolves.
pub fn spawn(
    reloader: Arc<Reloader>,
    dir: &Path,
    debounce: Duration,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut debouncer = new_debouncer(debounce, move |res: DebounceEventResult| match res {
        Ok(events) if events.iter().any(|e| relevant(&e.path)) => {
            let _ = tx.send(());
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "library watcher error"),
    })?;
    let mut watched = Vec::new();
    for folder in FOLDERS {
        let path = dir.join(folder);
        if path.is_dir() {
            debouncer
                .watcher()
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| anyhow::anyhow!("watching {}: {e}", path.display()))?;
            watched.push(path.display().to_string());
        }
    }
    tracing::info!(folders = ?watched, "library: reloading on file changes");
    Ok(tokio::spawn(async move {
        // The debouncer stops watching when dropped: keep it for the task's life.
        let _debouncer = debouncer;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                got = rx.recv() => {
                    if got.is_none() {
                        return;
                    }
                }
            }
            // Events that arrived while reloading are covered by this reload.
            while rx.try_recv().is_ok() {}
            match reloader.reload_as("watcher", "").await {
                Ok(r) if r.changed() => {
                    tracing::info!(commit = %r.commit, "library reloaded after a file change")
                }
                Ok(_) => {}
                Err(errors) => tracing::warn!(
                    errors = errors.len(),
                    "library changed on disk but does not load; keeping the running library"
                ),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_and_hidden_files_are_ignored() {
        assert!(relevant(Path::new("./prompts/email/prompt.toml")));
        assert!(relevant(Path::new("/lib/policies/red_lines.toml")));
        assert!(!relevant(Path::new("/lib/prompts/.prompt.toml.swp")));
        assert!(!relevant(Path::new("/lib/prompts/prompt.toml~")));
        assert!(relevant(Path::new("/tmp/.tmpAbc/prompts/x.toml")));
    }
}
