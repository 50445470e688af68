//! The registration budget: KIS allows 41 registrations (`(tr_id, tr_key)` pairs) per session
//! (§7.1). Each subscription carries a priority; when the budget is spent, a new subscription either
//! displaces the least important one (which the feed reports) or is refused with
//! [`FeedError::OverBudget`]. Nothing is dropped silently.

use hantu_core::realtime::{FeedError, Subscription};

/// Registrations per WebSocket session on KIS.
pub const KIS_REGISTRATION_BUDGET: usize = 41;

/// What admitting a subscription did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Newly registered.
    Added,
    /// The same channel and code were registered already (the priority is raised if higher).
    AlreadyRegistered,
    /// Registered in place of this less important one, which must be unregistered and reported.
    Displaced(Subscription),
}

/// The set of registrations of one session, in the order they were made.
#[derive(Clone, Debug)]
pub struct Registry {
    budget: usize,
    subs: Vec<Subscription>,
}

fn same(a: &Subscription, b: &Subscription) -> bool {
    a.channel == b.channel && a.code == b.code
}

impl Registry {
    /// An empty registry with room for `budget` registrations.
    #[must_use]
    pub fn new(budget: usize) -> Self {
        Self { budget, subs: Vec::new() }
    }

    /// The budget.
    #[must_use]
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Registrations in the order they were made.
    #[must_use]
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subs
    }

    /// Whether the channel and code of `sub` are registered.
    #[must_use]
    pub fn contains(&self, sub: &Subscription) -> bool {
        self.subs.iter().any(|s| same(s, sub))
    }

    /// Admits `sub`. When the budget is spent, the least important registration (the most recent
    /// of the lowest priority) is displaced if `sub` is strictly more important.
    ///
    /// # Errors
    /// [`FeedError::OverBudget`] when the budget is spent and `sub` is not more important than any
    /// registration.
    pub fn admit(&mut self, sub: Subscription) -> Result<Admission, FeedError> {
        if let Some(s) = self.subs.iter_mut().find(|s| same(s, &sub)) {
            s.priority = s.priority.max(sub.priority);
            return Ok(Admission::AlreadyRegistered);
        }
        if self.subs.len() < self.budget {
            self.subs.push(sub);
            return Ok(Admission::Added);
        }
        let weakest =
            self.subs.iter().enumerate().min_by_key(|(i, s)| (s.priority, std::cmp::Reverse(*i))).map(|(i, s)| (i, *s));
        match weakest {
            Some((i, w)) if w.priority < sub.priority => {
                self.subs.remove(i);
                self.subs.push(sub);
                Ok(Admission::Displaced(w))
            }
            _ => Err(FeedError::OverBudget { subscription: sub, budget: self.budget }),
        }
    }

    /// Removes the registration of `sub`'s channel and code; whether it was there.
    pub fn remove(&mut self, sub: &Subscription) -> bool {
        let before = self.subs.len();
        self.subs.retain(|s| !same(s, sub));
        self.subs.len() != before
    }
}

#[cfg(test)]
mod tests {
    use hantu_core::domain::StockCode;
    use hantu_core::realtime::Channel;

    use super::*;

    fn sub(code: u32, priority: u8) -> Subscription {
        Subscription { channel: Channel::Trades, code: Some(StockCode::new(&format!("{code:06}"))), priority }
    }

    #[test]
    fn forty_one_fit_and_the_forty_second_is_refused_at_equal_priority() {
        let mut r = Registry::new(KIS_REGISTRATION_BUDGET);
        for i in 0..41 {
            assert_eq!(r.admit(sub(i, 5)), Ok(Admission::Added));
        }
        assert_eq!(r.admit(sub(41, 5)), Err(FeedError::OverBudget { subscription: sub(41, 5), budget: 41 }));
        assert_eq!(r.subscriptions().len(), 41);
        // Registering the same code again costs nothing.
        assert_eq!(r.admit(sub(3, 7)), Ok(Admission::AlreadyRegistered));
        assert_eq!(r.subscriptions()[3].priority, 7);
    }

    #[test]
    fn a_more_important_subscription_displaces_the_least_important() {
        let mut r = Registry::new(3);
        r.admit(sub(1, 5)).unwrap();
        r.admit(sub(2, 1)).unwrap();
        r.admit(sub(3, 1)).unwrap();
        // The most recent of the lowest priority goes first.
        assert_eq!(r.admit(sub(4, 2)), Ok(Admission::Displaced(sub(3, 1))));
        assert_eq!(r.admit(sub(5, 2)), Ok(Admission::Displaced(sub(2, 1))));
        assert!(matches!(r.admit(sub(6, 2)), Err(FeedError::OverBudget { .. })));
        assert!(r.remove(&sub(4, 0)));
        assert!(!r.remove(&sub(4, 0)));
        assert_eq!(r.admit(sub(6, 0)), Ok(Admission::Added));
    }

    #[test]
    fn book_and_trades_of_one_code_are_two_registrations() {
        let mut r = Registry::new(2);
        let trades = sub(1, 1);
        let book = Subscription { channel: Channel::Book, ..trades };
        assert_eq!(r.admit(trades), Ok(Admission::Added));
        assert_eq!(r.admit(book), Ok(Admission::Added));
        assert!(r.contains(&book));
    }
}
