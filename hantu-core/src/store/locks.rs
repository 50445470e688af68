//! One trader per account: [`AccountLock`] and the in-process lock table the memory store (and
//! an in-memory SQLite store) use. File and server backed stores take locks the operating system
//! or the database server releases when the holding process dies.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Held while a trader runs an account: as long as it lives, [`super::Store::try_lock_account`]
/// for the same account returns `None` everywhere else (other threads, other processes on the
/// same database). Dropping it releases the lock; so does the holding process dying.
///
/// It never shows the account (account numbers are secrets).
pub struct AccountLock {
    _held: Box<dyn Send>,
}

impl AccountLock {
    /// Wraps whatever keeps the lock held; dropping that value must release it.
    pub fn new(held: impl Send + 'static) -> Self {
        Self { _held: Box::new(held) }
    }
}

impl std::fmt::Debug for AccountLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountLock { .. }")
    }
}

/// A stable 64-bit key for an account (FNV-1a), so lock files and PostgreSQL advisory locks are
/// named without writing the account number anywhere.
#[must_use]
pub fn account_lock_key(account: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "hantu-account:".bytes().chain(account.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Accounts locked in this process (for stores no other process can open).
#[derive(Clone, Default)]
pub(crate) struct ProcessLocks(Arc<Mutex<HashSet<u64>>>);

struct ProcessLockGuard {
    locks: ProcessLocks,
    key: u64,
}

impl Drop for ProcessLockGuard {
    fn drop(&mut self) {
        self.locks.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.key);
    }
}

impl ProcessLocks {
    /// Takes the account's lock unless it is held.
    pub(crate) fn try_lock(&self, account: &str) -> Option<AccountLock> {
        let key = account_lock_key(account);
        let fresh = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key);
        fresh.then(|| AccountLock::new(ProcessLockGuard { locks: self.clone(), key }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let locks = ProcessLocks::default();
        let a = locks.try_lock("12345678-01").unwrap();
        assert!(locks.try_lock("12345678-01").is_none());
        let b = locks.try_lock("87654321-01").unwrap();
        assert_eq!(format!("{a:?}"), "AccountLock { .. }");
        drop(a);
        assert!(locks.try_lock("12345678-01").is_some());
        drop(b);
        assert_ne!(account_lock_key("a"), account_lock_key("b"));
    }
}
