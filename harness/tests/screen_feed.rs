//! Feeding the client terminal's screen: an endless writer at the terminal
//! (`ssh server yes`) must cost work in proportion to its output, with no
//! allocation per line once the scrollback is full.
//!
//! The work is counted, not timed: this binary's allocator counts the
//! allocations of the thread that feeds the screen (a test binary of its
//! own, so that no other test pays for the counting).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hangar::run::{SCROLLBACK, Screen};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// count is a thread-local cell that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations (and reallocations) this thread made while `work` ran.
fn allocations_in(work: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    work();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn fifty_megabytes_of_y_allocate_nothing_per_line() {
    // What `yes` puts through a pty (ONLCR), in the pty's 64 KiB reads.
    let chunk = b"y\r\n".repeat(64 * 1024 / 3);
    let feeds = (50 << 20) / chunk.len();
    let mut screen = Screen::default();
    // Fill the scrollback first: its lines are allocated once.
    let warm = 3 * SCROLLBACK / (chunk.len() / 3) + 1;
    for _ in 0..warm {
        screen.feed(&chunk);
    }
    let allocations = allocations_in(|| {
        for _ in warm..feeds {
            screen.feed(&chunk);
        }
    });
    // Some 16 million lines; at most one allocation per feed, not per line.
    assert!(
        allocations <= (feeds - warm) as u64,
        "{allocations} allocations for {} feeds",
        feeds - warm
    );
    assert_eq!(screen.text(), "y\n".repeat(SCROLLBACK - 1));
}
