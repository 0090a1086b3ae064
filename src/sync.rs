//! The one lock policy: a poisoned mutex is used as it is.
//!
//! Every structure behind a `std::sync::Mutex` here is changed in single
//! steps that leave it valid (an insert, a remove, a counter added), so a
//! panic in one request's task cannot leave it half-changed. Refusing the
//! lock after such a panic would instead turn every later call that needs it
//! into an internal error for the rest of the session.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the guard if a panicking thread poisoned it.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
