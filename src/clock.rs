//! The wall clock as Tayori records it: whole seconds since 1970 (UTC).
//!
//! Shared by the account list, the mail store, the outbox, the connections record and the command
//! line. It imports no other module of Tayori.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970; 0 if the system clock is set before 1970.
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `2026-12-06 08:01` (UTC) for seconds since 1970, by Howard Hinnant's civil-from-days (the
/// command line and the connections record have no time-zone library).
pub fn utc_minute_text(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        time / 3600,
        time % 3600 / 60
    )
}
