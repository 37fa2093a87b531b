//! The one ordered parallel map: work on several threads, results handed on in the order of
//! the input. Used by `lint` (files and APIs, reported as they finish) and `apim specs`
//! (exports).
//!
//! Not for: anything that must run on the caller's thread only.

/// Runs `f` over `items` on `threads` threads (each with a stack of `stack` bytes) and hands the results to `consume` in the order of
/// `items`, as soon as each is next. Workers run at most `WINDOW` items ahead of `consume`,
/// so results waiting their turn stay few whatever the number of items.
pub fn for_each_ordered<T: Sync, R: Send>(
    threads: usize,
    stack: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R),
) {
    use std::collections::BTreeMap;
    use std::sync::{Condvar, Mutex};
    const WINDOW: usize = 64;
    const BATCH: usize = 8;
    struct State<R> {
        next: usize,
        written: usize,
        done: BTreeMap<usize, std::thread::Result<R>>,
        stop: bool,
        /// Workers waiting for the window to move.
        blocked: usize,
    }
    let workers = threads.clamp(1, items.len().max(1));
    let state = Mutex::new(State {
        next: 0,
        written: 0,
        done: BTreeMap::new(),
        stop: false,
        blocked: 0,
    });
    let changed = Condvar::new();
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    let work = || loop {
        // A few items at a time: one lock and at most one wake-up per batch.
        let batch = {
            let mut s = lock();
            while !s.stop && s.next < items.len() && s.next >= s.written + WINDOW {
                s.blocked += 1;
                s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
                s.blocked -= 1;
            }
            if s.stop || s.next >= items.len() {
                return;
            }
            let start = s.next;
            s.next = (start + BATCH).min(items.len());
            start..s.next
        };
        let results: Vec<_> = batch
            .clone()
            .map(|i| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&items[i]))))
            .collect();
        let mut s = lock();
        s.done.extend(batch.clone().zip(results));
        // Wake the consumer only when it waits for one of these: fewer context switches.
        if batch.contains(&s.written) {
            changed.notify_all();
        }
    };
    let mut panicked = None;
    std::thread::scope(|scope| {
        let spawned = (0..workers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(stack)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .count();
        if spawned == 0 {
            // No thread could be started: one at a time, here.
            for item in items {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item))) {
                    Ok(r) => consume(r),
                    Err(p) => {
                        panicked = Some(p);
                        return;
                    }
                }
            }
            return;
        }
        for i in 0..items.len() {
            let r = {
                let mut s = lock();
                loop {
                    if let Some(r) = s.done.remove(&i) {
                        s.written = i + 1;
                        if s.blocked > 0 {
                            changed.notify_all();
                        }
                        break r;
                    }
                    s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
                }
            };
            match r {
                Ok(r) => consume(r),
                Err(p) => {
                    lock().stop = true;
                    changed.notify_all();
                    panicked = Some(p);
                    break;
                }
            }
        }
    });
    if let Some(p) = panicked {
        std::panic::resume_unwind(p);
    }
}

/// [`for_each_ordered`] collecting the results, in the order of `items`.
pub fn map_ordered<T: Sync, R: Send>(
    threads: usize,
    stack: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    for_each_ordered(threads, stack, items, f, |r| out.push(r));
    out
}

/// A thread's stack when the work needs no more than usual.
pub const DEFAULT_STACK: usize = 2 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_threads() {
        let items: Vec<u64> = (0..500).collect();
        for threads in [1, 2, 7] {
            let got = map_ordered(threads, DEFAULT_STACK, &items, |&i| {
                // Later items finish first, so order is the map's doing.
                std::thread::sleep(std::time::Duration::from_micros((500 - i) % 7));
                i * 2
            });
            assert_eq!(got, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
