//! Giving memory freed after a load back to the system.
//!
//! Loading 10,000 chat files builds and frees a parse tree per file on the
//! loader's threads. glibc keeps what those threads freed in their own
//! arenas instead of returning it, so without help the daemon's resident
//! memory stays at the peak of the first load for good. Every later rescan
//! lists the folder again (a path per file), and what it frees lands
//! between the plans. So after each rescan [`give_back`] asks the allocator
//! to return every free page (`malloc_trim(0)`: a few milliseconds after the
//! first load of 10,000 files, 0.2-0.3 ms after an unchanged rescan, on the
//! blocking pool). Other allocators and platforms need nothing: it is a
//! no-op there.

/// Returns the allocator's free pages to the system (glibc only).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            /// glibc: releases free memory at the top of the heap and, since
            /// 2.8, free pages inside every arena. Always safe to call.
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: `malloc_trim` takes no pointers and only walks the
        // allocator's own free lists under its own locks.
        unsafe {
            malloc_trim(0);
        }
    }
}
