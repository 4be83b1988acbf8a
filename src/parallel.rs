//! An ordered parallel map over a slice, for CPU-bound work on many chat files.
//!
//! `tweetchat check` over 10,000 files is pure computation per file (YAML,
//! validation, cron look-ahead) and the target is one second on a 2-core
//! server, so the files are split into one contiguous chunk per core and the
//! results are joined back in input order: output stays deterministic. Plain
//! scoped threads; a work-stealing pool would be a dependency for no gain
//! with chunks this even.

use std::num::NonZeroUsize;
use std::thread;

/// `items.iter().map(f).collect()`, spread over the available cores.
pub fn map_in_order<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let workers = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    // Below a few dozen items a thread costs more than it saves.
    if workers < 2 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A panic in `f` is a bug; carry it to the caller unchanged.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_input_order() {
        let items: Vec<u32> = (0..1_000).collect();
        let doubled = map_in_order(&items, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn small_inputs_and_empty_ones_work() {
        assert_eq!(map_in_order(&[1, 2, 3], |n| n + 1), vec![2, 3, 4]);
        assert!(map_in_order(&[] as &[u8], |n| *n).is_empty());
    }
}
