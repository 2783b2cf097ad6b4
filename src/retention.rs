//! The retention sweeper (issue 9): every `[retention] sweep_interval_secs`,
//! drafts and briefs older than `max_age_days` are purged
//! (`Store::purge_older_than`, audited as `retention_purge`). The first sweep
//! runs at startup. `max_age_days = 0` keeps everything and starts no task.

use crate::config::RetentionConfig;
use crate::store::Store;
use std::time::Duration;

/// Start the sweeper; it stops when `stop` resolves.
pub fn spawn(
    store: Store,
    cfg: &RetentionConfig,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Option<tokio::task::JoinHandle<()>> {
    if cfg.max_age_days == 0 {
        return None;
    }
    let max_age = chrono::Duration::days(i64::from(cfg.max_age_days));
    let every = Duration::from_secs(cfg.sweep_interval_secs.max(1));
    tracing::info!(
        max_age_days = cfg.max_age_days,
        sweep_interval_secs = every.as_secs(),
        "retention: drafts and briefs older than the limit are purged"
    );
    Some(tokio::spawn(async move {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tick.tick() => {}
            }
            let cutoff = chrono::Utc::now() - max_age;
            match store.purge_older_than(cutoff, "retention").await {
                Ok(r) if r.drafts + r.requests > 0 => tracing::info!(
                    drafts = r.drafts,
                    requests = r.requests,
                    releases_redacted = r.releases_redacted,
                    %cutoff,
                    "retention: purged"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "retention: sweep failed; retrying next interval")
                }
            }
        }
    }))
}
