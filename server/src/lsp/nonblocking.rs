//! Standard input or output in non-blocking mode, for the async runtime to poll or write.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

/// A duplicate of a stdio descriptor switched to non-blocking mode; the original mode is
/// restored on drop. The mode belongs to the open file, which the duplicate shares with the
/// process's own descriptor.
pub struct NonBlocking {
    file: File,
    flags: libc::c_int,
}

impl NonBlocking {
    /// `fd` in non-blocking mode when it is a pipe or a socket: a terminal's mode would be the
    /// shell's too, and a file is never ready or not.
    pub fn of(fd: BorrowedFd<'_>) -> Option<NonBlocking> {
        use std::os::unix::fs::FileTypeExt;
        let file = File::from(fd.try_clone_to_owned().ok()?);
        let kind = file.metadata().ok()?.file_type();
        if !(kind.is_fifo() || kind.is_socket()) {
            return None;
        }
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this value owns, with integer arguments only.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        // SAFETY: as above.
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } != 0 {
            return None;
        }
        Some(NonBlocking { file, flags })
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Writes all of `bytes`, waiting for room whenever the reader is behind.
    pub fn write_all_waiting(&self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            match self.write_now(bytes)? {
                0 => self.wait_writable()?,
                n => bytes = &bytes[n..],
            }
        }
        Ok(())
    }

    /// Writes what fits now: how much of `bytes` was written (0 when the reader is behind).
    pub fn write_now(&self, bytes: &[u8]) -> std::io::Result<usize> {
        loop {
            match (&self.file).write(bytes) {
                Ok(0) if !bytes.is_empty() => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(0),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Blocks until the descriptor can be written (or is closed at the other end).
    fn wait_writable(&self) -> std::io::Result<()> {
        let mut poll = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd, for the duration of the call.
            match unsafe { libc::poll(&mut poll, 1, -1) } {
                n if n >= 0 => return Ok(()),
                _ => {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
    }
}

impl AsRawFd for NonBlocking {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Drop for NonBlocking {
    fn drop(&mut self) {
        // SAFETY: fcntl on a descriptor this value owns, with integer arguments only.
        unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_SETFL, self.flags) };
    }
}
