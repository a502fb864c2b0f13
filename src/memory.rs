//! How the process asks the system's allocator to behave.
//!
//! glibc's malloc gives threads that allocate at the same time arenas of their own, up to eight
//! per core, and memory freed in an arena stays with that arena. A sync hands every message from
//! thread to thread (read on the network thread, compressed on another, written on a third, decoded
//! for the search index on a fourth): each arena ends up holding its own high-water mark of
//! message buffers, and the process's resident memory is their sum. Two arenas keep that to two
//! high-water marks; measured with `benches/sync.sh` (a first sync of 20,000 messages, then the
//! search index): peak RSS 65 MB with glibc's default, 53 MB with two, at the same speed.
// The crate's third audited exception to "no unsafe code" (lib.rs): one call to glibc's
// `mallopt` with constant arguments, before any other thread exists.
#![allow(unsafe_code)]

/// Limits glibc's malloc to two arenas (on other systems and C libraries: nothing). Call it first
/// thing in `main`, before any thread is started.
pub fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::ffi::c_int;
        // glibc's malloc.h.
        const M_ARENA_MAX: c_int = -8;
        const ARENAS: c_int = 2;
        unsafe extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt takes two integers and changes allocator settings only; glibc documents
        // M_ARENA_MAX as settable at any time, and no other thread exists yet.
        let changed = unsafe { mallopt(M_ARENA_MAX, ARENAS) };
        debug_assert_eq!(changed, 1, "glibc accepts M_ARENA_MAX");
    }
}
