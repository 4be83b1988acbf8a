//! Heap bytes each loaded chat holds, counted exactly.
//!
//! `cargo run --release --example chat_memory -- DIR` loads every chat file
//! in `DIR` the way the daemon does (a [`Chats`] folder and one rescan, then
//! the timetable's slots), with a global allocator that counts live bytes,
//! and prints JSON: chats loaded, live heap bytes after loading (the folder
//! listing, parse trees and other garbage freed), bytes per chat, and live
//! allocations per chat (each costs the allocator a header and rounding).
//! `benches/run.sh` reports it beside the RSS figures, which also include
//! the allocator's own slack.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tweetchat::daemon::Chats;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the
// counter only adds and subtracts the sizes it was asked for.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: chat_memory DIR");
        std::process::exit(2);
    };
    let before = LIVE.load(Ordering::Relaxed);
    let blocks_before = BLOCKS.load(Ordering::Relaxed);
    let mut chats = Chats::folder(&dir);
    let found = chats.rescan();
    let loaded = found.changes.as_ref().map_or(0, |c| c.updated.len());
    let after = LIVE.load(Ordering::Relaxed);
    let bytes = after.saturating_sub(before);
    let per_chat = bytes.checked_div(loaded).unwrap_or(0);
    let blocks = BLOCKS.load(Ordering::Relaxed).saturating_sub(blocks_before);
    let blocks_per_chat = blocks.checked_div(loaded).unwrap_or(0);
    println!(
        "{{\"chats\": {loaded}, \"invalid\": {}, \"heap_bytes\": {bytes}, \"bytes_per_chat\": {per_chat}, \"allocations_per_chat\": {blocks_per_chat}}}",
        found.invalid
    );
    drop(found);
    drop(chats);
}
