//! One bound for the waits of a run that the prompt can reach.
//!
//! The prompt hook's `awsdo export` must never hold the prompt longer than
//! `AWSDO_HOOK_TIMEOUT` (DESIGN §6). Network calls have their own budget in `net::Net`; every
//! other wait (an entry lock held by another awsdo, a `credential_process` or `mfa_process`
//! that does not exit) takes its bound from the run's [`Deadline`]. Commands run by hand have no
//! deadline ([`Deadline::NONE`]) unless a wait sets its own.

use std::time::{Duration, Instant};

/// A point in time after which a run stops waiting, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No bound.
    pub const NONE: Deadline = Deadline(None);

    /// `budget` from now; no bound when `budget` is `None` or too large to represent.
    pub fn after(budget: Option<Duration>) -> Deadline {
        Deadline(budget.and_then(|b| Instant::now().checked_add(b)))
    }

    /// Time left: `None` when unbounded, zero once passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether the bound has passed.
    pub fn expired(&self) -> bool {
        self.remaining() == Some(Duration::ZERO)
    }

    /// The earlier of this deadline and `limit` from now: the bound for one wait that has its
    /// own limit too (a helper process's timeout, for example).
    pub fn capped(&self, limit: Duration) -> Duration {
        match self.remaining() {
            Some(left) => left.min(limit),
            None => limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_never_expired_and_caps_to_the_limit() {
        assert!(!Deadline::NONE.expired());
        assert_eq!(Deadline::NONE.remaining(), None);
        assert_eq!(
            Deadline::NONE.capped(Duration::from_secs(7)),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn a_passed_deadline_has_nothing_left() {
        let d = Deadline::after(Some(Duration::ZERO));
        assert!(d.expired());
        assert_eq!(d.capped(Duration::from_secs(7)), Duration::ZERO);
    }

    #[test]
    fn an_unrepresentable_budget_is_no_bound() {
        assert_eq!(Deadline::after(Some(Duration::MAX)), Deadline::NONE);
    }

    #[test]
    fn a_future_deadline_caps_longer_limits() {
        let d = Deadline::after(Some(Duration::from_secs(60)));
        assert!(!d.expired());
        assert!(d.capped(Duration::from_secs(3600)) <= Duration::from_secs(60));
        assert_eq!(d.capped(Duration::from_millis(5)), Duration::from_millis(5));
    }
}
