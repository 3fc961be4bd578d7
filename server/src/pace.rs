//! Yield points for long work on a background thread.
//!
//! A busy background thread (reading a monorepo) keeps its core until the scheduler's next tick
//! unless it gives the core away: a thread woken onto that core meanwhile (the server's async
//! thread on the editor's message, the editor's own threads) waited behind it for up to a tick
//! (4 ms on the 250 Hz kernel measured) while the other core idled — seen with `perf sched`
//! three starts in ten; the kernel did not preempt the nice-10 thread for a woken thread it did
//! not yet count as owed time. A thread that paces itself ([`pace_this_thread`]) gives its core
//! away ([`std::thread::yield_now`]) at the first [`step`] after every [`PACE`] of work: the
//! woken thread then waits a tenth of a millisecond at most. Long loops of the model call
//! [`step`] between items (a directory listed, a file read, a folder's git state); on a thread
//! that does not pace itself, such as the one answering the editor, a step does nothing.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Work between two yields of a pacing thread.
pub const PACE: Duration = Duration::from_micros(100);

/// When a pacing thread last gave its core away, and how often it does.
#[derive(Clone, Copy, Debug)]
struct Pacer {
    every: Duration,
    last: Instant,
}

impl Pacer {
    /// Whether a step at `now` yields; the next period then counts from `now`.
    fn yields_at(&mut self, now: Instant) -> bool {
        if now.saturating_duration_since(self.last) < self.every {
            return false;
        }
        self.last = now;
        true
    }
}

thread_local! {
    static PACER: Cell<Option<Pacer>> = const { Cell::new(None) };
}

#[cfg(test)]
thread_local! {
    static YIELDS: Cell<u64> = const { Cell::new(0) };
}

/// Makes the calling thread give its core away every [`PACE`] of work, at its steps.
pub fn pace_this_thread() {
    pace_every(PACE);
}

fn pace_every(every: Duration) {
    let last = Instant::now();
    PACER.with(|p| p.set(Some(Pacer { every, last })));
}

/// A point between two items of long work: on a pacing thread, yields when its period is over.
#[inline]
pub fn step() {
    PACER.with(|cell| {
        let Some(mut pacer) = cell.get() else {
            return;
        };
        if pacer.yields_at(Instant::now()) {
            std::thread::yield_now();
            #[cfg(test)]
            YIELDS.with(|y| y.set(y.get() + 1));
            // The period counts from after the yield: time spent waiting is not work.
            pacer.last = Instant::now();
            cell.set(Some(pacer));
        }
    });
}

/// How many times the calling thread has yielded at its steps (tests).
#[cfg(test)]
pub fn yields_of_this_thread() -> u64 {
    YIELDS.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pacer_yields_once_per_period_of_work() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let mut pacer = Pacer {
            every: ms(1),
            last: start,
        };
        assert!(!pacer.yields_at(start));
        assert!(!pacer.yields_at(start + Duration::from_micros(999)));
        assert!(pacer.yields_at(start + ms(1)));
        // The next period counts from the yield, not from the start.
        assert!(!pacer.yields_at(start + ms(1) + Duration::from_micros(999)));
        assert!(pacer.yields_at(start + ms(2)));
        // A clock read before the last yield (another core's) does not yield.
        assert!(!pacer.yields_at(start));
    }

    #[test]
    fn only_a_pacing_thread_yields_at_its_steps() {
        // Steps for 5 ms and once more after: the last step comes a whole period after the
        // start however late the thread was run; returns the yields and the time taken.
        let work = || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(5) {
                step();
            }
            step();
            (yields_of_this_thread(), start.elapsed())
        };
        let (plain, _) = std::thread::spawn(work).join().unwrap();
        assert_eq!(plain, 0, "a thread that does not pace itself never yields");
        let every = Duration::from_micros(500);
        let (paced, took) = std::thread::spawn(move || {
            let start = Instant::now();
            pace_every(every);
            (work().0, start.elapsed())
        })
        .join()
        .unwrap();
        let periods = (took.as_micros() / every.as_micros()) as u64;
        assert!((1..=periods).contains(&paced), "{paced} yields in {took:?}");
    }
}
