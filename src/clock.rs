//! The wall clock as Tayori records it: whole seconds since 1970 (UTC).
//!
//! One helper shared by the account list, the mail store and the outbox. It imports no other module
//! of Tayori.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970; 0 if the system clock is set before 1970.
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
