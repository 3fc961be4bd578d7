//! Short scheduler time slices for the threads that answer the editor (Linux 6.12 and later).
//!
//! While a monorepo is read, the reading thread keeps a core busy. A thread of the server woken
//! by the editor (the async thread on a message, the stdout thread on an answer) was often left
//! waiting behind it until the scheduler's next tick (4 ms apart here; seen with `perf sched`:
//! the stdout thread runnable for 4.0 ms beside the reading thread while the other core idled).
//! The main thread asks for the shortest slice the kernel grants, which the threads it starts
//! inherit, and the background threads give it back ([`use_default_slices`]). A file opened
//! right after `initialized` in the monorepo (30-40 starts per set, four sets each): first
//! diagnostics 0.58-0.84 ms in the median and 1.6-4.1 ms at p90 before, 0.55-0.58 and 1.1-4.1
//! with this; with short slices for the reading thread too, 0.62 and 2.0-3.6 (issue 7).

/// The slice asked for: the shortest the kernel grants.
pub const SHORT_SLICE_NS: u64 = 100_000;

/// Asks the kernel for [`SHORT_SLICE_NS`] slices for the calling thread and the threads it
/// starts afterwards (they inherit it); `false` when it cannot be asked (not Linux, a thread
/// not scheduled as a normal one, a kernel that refuses). A kernel older than 6.12 accepts the
/// request and ignores it.
pub fn ask_short_slices() -> bool {
    imp::set_slice(SHORT_SLICE_NS)
}

/// Gives the calling thread the kernel's default slice back (a background thread started by
/// one that asked for short ones): a busy thread with short slices is switched out more often,
/// and in the monorepo bench the reading thread with the default one disturbed a file opened
/// meanwhile less (first diagnostics, median of 30–40 starts: 0.55–0.58 ms against 0.62).
pub fn use_default_slices() -> bool {
    imp::set_slice(0)
}

/// The calling thread's slice as the kernel reports it (nanoseconds), on Linux.
#[cfg(test)]
pub fn slice_of_this_thread() -> Option<u64> {
    imp::get().map(|a| a.sched_runtime)
}

#[cfg(target_os = "linux")]
mod imp {
    /// `struct sched_attr` as of Linux 3.14 (`SCHED_ATTR_SIZE_VER0`); later fields are optional.
    #[repr(C)]
    #[derive(Default)]
    pub struct SchedAttr {
        size: u32,
        sched_policy: u32,
        sched_flags: u64,
        sched_nice: i32,
        sched_priority: u32,
        pub sched_runtime: u64,
        sched_deadline: u64,
        sched_period: u64,
    }

    /// The calling thread's scheduling attributes.
    pub fn get() -> Option<SchedAttr> {
        let mut attr = SchedAttr::default();
        let size = std::mem::size_of::<SchedAttr>() as u32;
        // SAFETY: the kernel writes at most `size` bytes into `attr`, which has that size;
        // pid 0 is the calling thread.
        let r = unsafe {
            libc::syscall(
                libc::SYS_sched_getattr,
                0,
                &mut attr as *mut SchedAttr,
                size,
                0,
            )
        };
        (r == 0).then_some(attr)
    }

    pub fn set_slice(ns: u64) -> bool {
        let Some(mut attr) = get() else {
            return false;
        };
        // Only a normal thread: a real-time, batch or idle one was made so on purpose.
        if attr.sched_policy != libc::SCHED_OTHER as u32 {
            return false;
        }
        attr.size = std::mem::size_of::<SchedAttr>() as u32;
        attr.sched_flags = 0;
        attr.sched_runtime = ns;
        // SAFETY: the kernel reads `size` bytes of `attr`; the nice value read above is kept.
        let r = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) };
        if r != 0 {
            tracing::debug!(
                "could not ask for short time slices: {}",
                std::io::Error::last_os_error()
            );
        }
        r == 0
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub struct SchedAttr {
        pub sched_runtime: u64,
    }

    pub fn get() -> Option<SchedAttr> {
        None
    }

    pub fn set_slice(_: u64) -> bool {
        false
    }
}

/// Whether the kernel keeps a thread's own slice (Linux 6.12 and later).
#[cfg(all(test, target_os = "linux"))]
pub fn custom_slices_supported() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (6, 12)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A thread that asks gets the short slice, keeps its nice value, and passes the slice on
    /// to the threads it starts; on a kernel with custom slices (6.12+) the kernel reports it.
    #[test]
    fn a_thread_gets_short_slices_and_passes_them_on() {
        let asked = std::thread::spawn(|| {
            // SAFETY: getpriority/setpriority have no memory effects; 0 = this thread.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 5) };
            let asked = ask_short_slices();
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            let child = std::thread::spawn(slice_of_this_thread).join().unwrap();
            (asked, nice, slice_of_this_thread(), child)
        });
        let (asked, nice, slice, child) = asked.join().unwrap();
        assert!(asked, "a normal thread may ask");
        assert_eq!(nice, 5, "the nice value is kept");
        if custom_slices_supported() {
            assert_eq!(slice, Some(SHORT_SLICE_NS));
            assert_eq!(child, Some(SHORT_SLICE_NS), "inherited");
        }
        let untouched = std::thread::spawn(slice_of_this_thread).join().unwrap();
        assert_ne!(untouched, Some(SHORT_SLICE_NS), "other threads keep theirs");
    }
}
