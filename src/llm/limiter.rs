//! Client-side limiter: a concurrency semaphore, RPM and TPM token buckets,
//! and a shared cool-down set by a server's `Retry-After`.
//!
//! The buckets use reservations: a caller that finds too few tokens takes
//! them anyway (the balance goes negative) and sleeps until the debt is
//! repaid. Callers are therefore served in arrival order without a
//! thundering herd, and a reservation is only made when its wait ends before
//! the caller's deadline, so a caller that gives up leaves no debt behind.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The RPM bucket holds half a second of requests (at least one): requests
/// leave evenly spaced, which keeps us under servers that enforce their
/// per-minute limit over short windows (OpenAI quantizes RPM to ~1 s).
const RPM_BURST_SECONDS: f64 = 0.5;
/// The TPM bucket holds one second of tokens.
const TPM_BURST_SECONDS: f64 = 1.0;

/// A token bucket refilled continuously at `rate` tokens per second.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    /// May be negative: outstanding reservations.
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `per_minute` tokens a minute holding
    /// `burst_seconds` of them (at least one).
    pub(crate) fn per_minute(per_minute: u32, burst_seconds: f64, now: Instant) -> Self {
        let rate = f64::from(per_minute) / 60.0;
        let capacity = (rate * burst_seconds).max(1.0);
        TokenBucket {
            rate,
            capacity,
            state: Mutex::new(BucketState {
                tokens: capacity,
                last: now,
            }),
        }
    }

    fn refill(&self, st: &mut BucketState, now: Instant) {
        let elapsed = now.saturating_duration_since(st.last).as_secs_f64();
        st.tokens = (st.tokens + elapsed * self.rate).min(self.capacity);
        st.last = st.last.max(now);
    }

    /// Reserves `n` tokens at `now`. `Ok(wait)`: reserved, send after
    /// `wait`. `Err(wait)`: `now + wait` would pass `deadline`; nothing was
    /// reserved.
    pub(crate) fn reserve(
        &self,
        n: f64,
        now: Instant,
        deadline: Option<Instant>,
    ) -> Result<Duration, Duration> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.refill(&mut st, now);
        let wait = if st.tokens >= n {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((n - st.tokens) / self.rate)
        };
        if let Some(d) = deadline
            && now + wait > d
        {
            return Err(wait);
        }
        st.tokens -= n;
        Ok(wait)
    }

    /// Gives back (`delta > 0`) or charges (`delta < 0`) tokens, e.g. once
    /// the real usage of a request is known.
    pub(crate) fn adjust(&self, delta: f64, now: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.refill(&mut st, now);
        st.tokens = (st.tokens + delta).min(self.capacity);
    }

    #[cfg(test)]
    fn tokens(&self, now: Instant) -> f64 {
        let mut st = self.state.lock().unwrap();
        self.refill(&mut st, now);
        st.tokens
    }
}

/// Why the limiter let a caller go without a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeadlineHit;

/// Holds a concurrency slot for one HTTP attempt.
#[derive(Debug)]
pub(crate) struct Permit {
    _slot: OwnedSemaphorePermit,
    /// Time spent waiting for the slot, the buckets and any cool-down.
    pub(crate) waited: Duration,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    slots: std::sync::Arc<Semaphore>,
    rpm: Option<TokenBucket>,
    tpm: Option<TokenBucket>,
    cooldown_until: Mutex<Option<Instant>>,
}

impl Limiter {
    /// `0` for `rpm` or `tpm` means no budget of that kind.
    pub(crate) fn new(max_concurrent: u32, rpm: u32, tpm: u32) -> Self {
        let now = Instant::now();
        Limiter {
            slots: std::sync::Arc::new(Semaphore::new(max_concurrent.max(1) as usize)),
            rpm: (rpm > 0).then(|| TokenBucket::per_minute(rpm, RPM_BURST_SECONDS, now)),
            tpm: (tpm > 0).then(|| TokenBucket::per_minute(tpm, TPM_BURST_SECONDS, now)),
            cooldown_until: Mutex::new(None),
        }
    }

    /// Waits for a concurrency slot, then any cool-down, then one request
    /// and `tokens` tokens of budget. Gives up with `DeadlineHit` as soon as
    /// it knows a wait would pass `deadline` (without waiting it out).
    pub(crate) async fn acquire(
        &self,
        tokens: u32,
        deadline: Option<Instant>,
    ) -> Result<Permit, DeadlineHit> {
        let start = Instant::now();
        if deadline.is_some_and(|d| start >= d) {
            return Err(DeadlineHit);
        }
        // Wait out any cool-down before taking a slot (a slot held while
        // cooling down would only block others), and again if one was set
        // while we queued for the slot.
        let slot = loop {
            self.wait_cooldown(deadline).await?;
            let slot = match deadline {
                Some(d) => tokio::time::timeout_at(d, self.slots.clone().acquire_owned())
                    .await
                    .map_err(|_| DeadlineHit)?,
                None => self.slots.clone().acquire_owned().await,
            }
            .expect("limiter semaphore is never closed");
            if self.cooldown_remaining().is_none() {
                break slot;
            }
        };

        let now = Instant::now();
        let mut wait = Duration::ZERO;
        if let Some(rpm) = &self.rpm {
            wait = rpm.reserve(1.0, now, deadline).map_err(|_| DeadlineHit)?;
        }
        if let Some(tpm) = &self.tpm {
            match tpm.reserve(f64::from(tokens), now, deadline) {
                Ok(w) => wait = wait.max(w),
                Err(_) => {
                    if let Some(rpm) = &self.rpm {
                        rpm.adjust(1.0, now);
                    }
                    return Err(DeadlineHit);
                }
            }
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(Permit {
            _slot: slot,
            waited: start.elapsed(),
        })
    }

    fn cooldown_remaining(&self) -> Option<Instant> {
        let until = *self
            .cooldown_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        until.filter(|u| *u > Instant::now())
    }

    async fn wait_cooldown(&self, deadline: Option<Instant>) -> Result<(), DeadlineHit> {
        while let Some(u) = self.cooldown_remaining() {
            if deadline.is_some_and(|d| u > d) {
                return Err(DeadlineHit);
            }
            tokio::time::sleep_until(u).await;
        }
        Ok(())
    }

    /// Corrects the token budget once the real usage is known.
    pub(crate) fn settle_tokens(&self, estimated: u32, actual: u32) {
        if let Some(tpm) = &self.tpm {
            tpm.adjust(f64::from(estimated) - f64::from(actual), Instant::now());
        }
    }

    /// Holds every new request until `until` (a server's `Retry-After`).
    pub(crate) fn cool_down(&self, until: Instant) {
        let mut cd = self
            .cooldown_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if cd.is_none_or(|c| c < until) {
            *cd = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn bucket_spaces_requests_evenly() {
        let t0 = Instant::now();
        // 600/min = 10/s, burst 5.
        let b = TokenBucket::per_minute(600, RPM_BURST_SECONDS, t0);
        for _ in 0..5 {
            assert_eq!(b.reserve(1.0, t0, None), Ok(Duration::ZERO));
        }
        // The 6th waits 100 ms, the 7th 200 ms: reservations queue up.
        let w6 = b.reserve(1.0, t0, None).unwrap();
        let w7 = b.reserve(1.0, t0, None).unwrap();
        assert!((w6.as_secs_f64() - 0.1).abs() < 1e-6, "{w6:?}");
        assert!((w7.as_secs_f64() - 0.2).abs() < 1e-6, "{w7:?}");
        // After 1 s the debt (-2) is repaid and 8 tokens refilled, capped at 5.
        assert!((b.tokens(t0 + ms(1000)) - 5.0).abs() < 1e-6);
    }

    #[test]
    fn bucket_refuses_waits_past_the_deadline_without_reserving() {
        let t0 = Instant::now();
        let b = TokenBucket::per_minute(60, RPM_BURST_SECONDS, t0); // 1/s, burst 1
        assert_eq!(b.reserve(1.0, t0, Some(t0 + ms(10))), Ok(Duration::ZERO));
        let err = b.reserve(1.0, t0, Some(t0 + ms(500))).unwrap_err();
        assert!((err.as_secs_f64() - 1.0).abs() < 1e-6);
        // Nothing was reserved: the balance is still 0, not -1.
        assert!(b.tokens(t0).abs() < 1e-6);
        assert_eq!(b.reserve(1.0, t0, Some(t0 + ms(1500))), Ok(ms(1000)));
    }

    #[test]
    fn bucket_accepts_requests_bigger_than_its_capacity() {
        let t0 = Instant::now();
        let b = TokenBucket::per_minute(6000, TPM_BURST_SECONDS, t0); // 100/s, cap 100
        assert_eq!(b.reserve(300.0, t0, None), Ok(ms(2000)));
    }

    #[test]
    fn adjust_corrects_the_estimate() {
        let t0 = Instant::now();
        let b = TokenBucket::per_minute(6000, TPM_BURST_SECONDS, t0);
        b.reserve(50.0, t0, None).unwrap();
        b.adjust(50.0 - 80.0, t0); // used 80, estimated 50
        assert!((b.tokens(t0) - 20.0).abs() < 1e-6);
        b.adjust(1000.0, t0); // refunds never exceed capacity
        assert!((b.tokens(t0) - 100.0).abs() < 1e-6);
    }

    #[tokio::test]
    async fn limiter_gives_up_before_a_cooldown_past_the_deadline() {
        let l = Limiter::new(2, 0, 0);
        l.cool_down(Instant::now() + Duration::from_secs(5));
        let t = Instant::now();
        let r = l.acquire(10, Some(Instant::now() + ms(100))).await;
        assert_eq!(r.unwrap_err(), DeadlineHit);
        assert!(t.elapsed() < ms(50));
    }

    #[tokio::test]
    async fn limiter_slot_wait_respects_the_deadline() {
        let l = Limiter::new(1, 0, 0);
        let held = l.acquire(0, None).await.unwrap();
        let t = Instant::now();
        let r = l.acquire(0, Some(Instant::now() + ms(50))).await;
        assert_eq!(r.unwrap_err(), DeadlineHit);
        assert!(t.elapsed() >= ms(45));
        drop(held);
        assert!(l.acquire(0, Some(Instant::now() + ms(50))).await.is_ok());
    }
}
