//! Threads for background work (reading the workspace) that yield the processor to the
//! editor's requests.

/// Runs `work` on a thread of its own at a lower scheduling priority, giving its core away at
/// the model's steps every [`crate::pace::PACE`] of work.
///
/// Reading a large workspace keeps both cores of a small machine busy for a while; a file the
/// user opens meanwhile, and every hover, must not wait for it. A thread of its own, not tokio's
/// blocking pool, because a thread's priority can be lowered but not raised back.
pub fn spawn_low_priority(name: &str, work: impl FnOnce() + Send + 'static) -> bool {
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            lower_priority();
            crate::pace::pace_this_thread();
            work();
        });
    if let Err(e) = &spawned {
        tracing::error!("cannot start the {name} thread: {e}");
    }
    spawned.is_ok()
}

type Work = Box<dyn FnOnce() + Send>;

/// A thread of lower priority started before the work it is given ([`Standby::run`]).
///
/// A thread started from a request's handler runs at normal priority until it lowers its own,
/// beside the handler: the workspace's reading started from `initialize` that way, and an
/// `initialize` sent 0.1-0.3 s after the server started was answered in 0.9-2.0 ms (medians of
/// 9 starts, six sets) instead of ~0.7 ms with this (issue 7). Started with the server, the
/// thread has lowered its priority long before its work comes.
pub struct Standby {
    name: String,
    work: std::sync::mpsc::Sender<Work>,
}

impl Standby {
    /// Starts a thread named `name` that lowers its priority and waits for its work.
    pub fn start(name: &str) -> Option<Standby> {
        let (work, rx) = std::sync::mpsc::channel::<Work>();
        let waiting = move || {
            if let Ok(work) = rx.recv() {
                work();
            }
        };
        spawn_low_priority(name, waiting).then(|| Standby {
            name: name.into(),
            work,
        })
    }

    /// Runs `work` on the thread (on a new one should it be gone).
    pub fn run(self, work: impl FnOnce() + Send + 'static) {
        if let Err(unsent) = self.work.send(Box::new(work)) {
            spawn_low_priority(&self.name, unsent.0);
        }
    }
}

/// How long after indexing the catalog is parsed in the background: past the messages an
/// editor sends right after `initialized` (the files it shows are opened at once).
pub const CATALOG_AFTER_INDEXING: std::time::Duration = std::time::Duration::from_millis(100);

/// Parses the destination catalog's entries on `parser` (taken; nothing when it is gone), at a
/// low priority: a diagnosis parses the few entries it needs itself if it comes first (waiting
/// at most for the one entry being parsed), and completion and hover then find them all ready.
///
/// Started [`CATALOG_AFTER_INDEXING`] after the workspace's findings are published, not with
/// the server: parsed while `initialize` was read and answered (~1.3 ms of work on the other
/// core), it delayed the answer by about as much in four starts of five (`initialize` sent at
/// once, 20 starts twice: 2.70/2.80 ms, then 1.52/1.53). Started at `initialized`, it overlapped
/// the first `didOpen`, which an editor sends right away: the demo's first diagnostics, 40
/// starts each, median 0.57-0.64 ms and p75 1.15-1.63 against 0.51-0.53 and 0.63-0.72 without
/// it (issue 7).
pub fn parse_catalog(parser: &std::sync::Mutex<Option<Standby>>) {
    let parser = parser.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(thread) = parser {
        thread.run(|| crate::model::catalog::Catalog::get().parse_all());
    }
}

/// Lowers the calling thread's priority to nice 10 at least (Linux schedules each thread on its
/// own), with the kernel's default time slices ([`super::slices`]).
#[cfg(target_os = "linux")]
fn lower_priority() {
    super::slices::use_default_slices();
    // SAFETY: getpriority and setpriority have no memory effects; `who = 0` is the calling
    // thread on Linux. getpriority's -1 may also be an error: then 10 is asked for anyway.
    let r = unsafe {
        let current = libc::getpriority(libc::PRIO_PROCESS, 0);
        libc::setpriority(libc::PRIO_PROCESS, 0, current.max(10))
    };
    if r != 0 {
        tracing::debug!(
            "could not lower the priority of a background thread: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        // SAFETY: as above.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn runs_the_work_at_a_lower_priority_and_leaves_the_caller_alone() {
        let before = nice_of_this_thread();
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_low_priority("test", move || tx.send(nice_of_this_thread()).unwrap());
        let nice = rx.recv().unwrap();
        assert!(
            nice >= 10 && nice >= before,
            "background nice {nice}, caller {before}"
        );
        assert_eq!(nice_of_this_thread(), before);
    }

    /// The background thread gives its core away at the model's steps; the caller does not.
    #[test]
    fn a_background_thread_paces_itself() {
        let steps_for = |d: std::time::Duration| {
            let start = std::time::Instant::now();
            while start.elapsed() < d {
                crate::pace::step();
            }
            crate::pace::step();
            crate::pace::yields_of_this_thread()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_low_priority("test-pace", move || {
            tx.send(steps_for(2 * crate::pace::PACE)).unwrap()
        });
        assert!(rx.recv().unwrap() >= 1, "the background thread yielded");
        assert_eq!(steps_for(2 * crate::pace::PACE), 0, "the caller did not");
    }

    /// Started by a thread with short slices, a background thread runs with the default ones.
    #[test]
    fn a_background_thread_gives_the_short_slices_back() {
        use super::super::slices;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            assert!(slices::ask_short_slices());
            let mine = slices::slice_of_this_thread();
            spawn_low_priority("test-slices", move || {
                tx.send((mine, slices::slice_of_this_thread())).unwrap()
            });
        });
        let (parent, background) = rx.recv().unwrap();
        if slices::custom_slices_supported() {
            assert_eq!(parent, Some(slices::SHORT_SLICE_NS));
            assert!(
                background.is_some_and(|s| s > slices::SHORT_SLICE_NS),
                "background slice {background:?}"
            );
        }
    }

    /// The catalog's parser is taken by the first call (the parsing runs on it); later calls
    /// find nothing to start.
    #[test]
    fn the_catalog_is_parsed_once_on_its_standby_thread() {
        let parser = std::sync::Mutex::new(Standby::start("test-catalog"));
        assert!(parser.lock().unwrap().is_some());
        parse_catalog(&parser);
        assert!(parser.lock().unwrap().is_none(), "taken");
        parse_catalog(&parser);
        assert!(crate::model::catalog::Catalog::get().destinations().count() > 0);
    }

    /// A standby thread has lowered its priority before it is given its work, which it runs.
    #[test]
    fn a_standby_thread_runs_its_work_at_a_lower_priority() {
        let standby = Standby::start("test-standby").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        standby.run(move || {
            let name = std::thread::current().name().map(str::to_string);
            tx.send((nice_of_this_thread(), name)).unwrap()
        });
        let (nice, name) = rx.recv().unwrap();
        assert!(nice >= 10, "nice {nice}");
        assert_eq!(name.as_deref(), Some("test-standby"));
    }
}
