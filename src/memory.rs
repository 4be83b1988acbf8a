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
//! blocking pool).
//!
//! A trim only returns what glibc considers free of its heaps, and by
//! default glibc moves its own thresholds: each freed block above the
//! mmap threshold (128 KiB at start; the listing of 10,000 paths is one)
//! raises it to that block's size and the trim
//! threshold to twice that, so after the first load the tops of the
//! loader threads' heaps are never cut back again. [`fix_thresholds`]
//! pins both at glibc's starting values: 10,000 loaded chats then take
//! 27.4 MB instead of 31.9 (benches/notes.md). The cost is an `mmap` and
//! a `munmap` for each block over 128 KiB, which the daemon needs when it
//! reads many files, and on the posting path at most for a large search
//! response.
//!
//! Other allocators and platforms need none of this: both are no-ops there.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    unsafe extern "C" {
        /// glibc: releases free memory at the top of the heap and, since
        /// 2.8, free pages inside every arena. Always safe to call.
        pub fn malloc_trim(pad: usize) -> i32;
        /// glibc: sets one of the allocator's parameters; returns 1 on
        /// success, 0 for an unknown parameter or a bad value.
        pub fn mallopt(param: i32, value: i32) -> i32;
    }

    /// `<malloc.h>`'s parameter numbers.
    pub const M_TRIM_THRESHOLD: i32 = -1;
    pub const M_MMAP_THRESHOLD: i32 = -3;

    /// glibc's own starting values (`DEFAULT_MMAP_THRESHOLD_MIN`,
    /// `DEFAULT_TRIM_THRESHOLD`): setting them is what keeps them fixed.
    pub const MMAP_THRESHOLD: i32 = 128 * 1024;
    pub const TRIM_THRESHOLD: i32 = 128 * 1024;
}

/// Keeps glibc's mmap and trim thresholds where they start (glibc only).
/// Call it first in `main`, before any thread allocates. `false` only if
/// glibc refused a value; the daemon then works the same, with more memory.
pub fn fix_thresholds() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` takes two integers and changes the allocator's
        // settings under its own lock; the values are valid for both.
        unsafe {
            glibc::mallopt(glibc::M_MMAP_THRESHOLD, glibc::MMAP_THRESHOLD) == 1
                && glibc::mallopt(glibc::M_TRIM_THRESHOLD, glibc::TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        true
    }
}

/// Returns the allocator's free pages to the system (glibc only).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes no pointers and only walks the
        // allocator's own free lists under its own locks.
        unsafe {
            glibc::malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn glibc_takes_its_own_thresholds_and_a_trim_after_them() {
        assert!(super::fix_thresholds(), "glibc refused its own thresholds");
        // A trim after them, with large blocks freed, is still safe.
        let freed: Vec<Vec<u8>> = (0..64).map(|_| vec![1; 256 * 1024]).collect();
        drop(freed);
        super::give_back();
    }
}
