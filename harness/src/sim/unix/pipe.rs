//! Pipes as pipe(7) defines them.
//!
//! - Capacity 65536 bytes, the Linux default (pipe(7) "Pipe capacity").
//! - A writer blocks while the pipe is full and may complete partially.
//! - A reader blocks while the pipe is empty and some write end is open;
//!   it sees end-of-file only once every write end in every process is
//!   closed (pipe(7) "I/O on pipes and FIFOs").
//! - Writing with no read end open fails with EPIPE and raises SIGPIPE;
//!   raising the signal is the caller's job ([`crate::sim::unix::Proc::write`]).
//!
//! Ends are counted by open file descriptions: [`PipeEnd`] values are shared
//! through `Arc` by every fd that refers to them (dup, fork) and the count
//! drops when the last one goes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Linux default pipe capacity. pipe(7).
pub const PIPE_CAPACITY: usize = 65536;

pub struct Pipe {
    /// Host-unique number, used to name the pipe in traces.
    pub id: u32,
    state: Mutex<PipeState>,
    /// Woken when data arrives or the last writer goes.
    readable: Notify,
    /// Woken when room appears or the last reader goes.
    writable: Notify,
}

struct PipeState {
    buf: VecDeque<u8>,
    capacity: usize,
    writers: usize,
    readers: usize,
    /// Bytes that never reached a reader: left in the buffer when the last
    /// reader closed, or written after it.
    lost: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PipeError {
    /// EPIPE: no read end is open.
    Broken,
}

/// Which end an open file description refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Read,
    Write,
}

/// One open file description of a pipe end. Dropping the last `Arc` of it
/// closes that end.
pub struct PipeEnd {
    pub pipe: Arc<Pipe>,
    pub end: End,
}

impl Pipe {
    /// pipe(2): returns the read end and the write end.
    pub fn create(id: u32, capacity: usize) -> (PipeEnd, PipeEnd) {
        let pipe = Arc::new(Pipe {
            id,
            state: Mutex::new(PipeState {
                buf: VecDeque::new(),
                capacity,
                writers: 1,
                readers: 1,
                lost: 0,
            }),
            readable: Notify::new(),
            writable: Notify::new(),
        });
        (
            PipeEnd {
                pipe: pipe.clone(),
                end: End::Read,
            },
            PipeEnd {
                pipe,
                end: End::Write,
            },
        )
    }

    /// read(2) of at most `max` bytes; an empty result is end-of-file.
    pub async fn read(&self, max: usize) -> Vec<u8> {
        loop {
            let notified = self.readable.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.state.lock().unwrap();
                if !st.buf.is_empty() {
                    let out = take_front(&mut st.buf, max);
                    drop(st);
                    self.writable.notify_waiters();
                    return out;
                }
                if st.writers == 0 {
                    return Vec::new();
                }
            }
            notified.await;
        }
    }

    /// A read that never blocks: what is in the pipe now, up to `max`
    /// (read(2) with O_NONBLOCK; `None` is EAGAIN, `Some(empty)` is EOF).
    pub fn try_read(&self, max: usize) -> Option<Vec<u8>> {
        let mut st = self.state.lock().unwrap();
        if st.buf.is_empty() {
            return if st.writers == 0 {
                Some(Vec::new())
            } else {
                None
            };
        }
        let out = take_front(&mut st.buf, max);
        drop(st);
        self.writable.notify_waiters();
        Some(out)
    }

    /// write(2) of all of `data`, blocking while the pipe is full. Returns the
    /// bytes written before a failure together with the failure.
    pub async fn write(&self, data: &[u8]) -> Result<(), (usize, PipeError)> {
        let mut written = 0;
        while written < data.len() {
            let notified = self.writable.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.state.lock().unwrap();
                if st.readers == 0 {
                    st.lost += data.len() - written;
                    return Err((written, PipeError::Broken));
                }
                let room = st.capacity.saturating_sub(st.buf.len());
                if room > 0 {
                    let n = room.min(data.len() - written);
                    st.buf.extend(&data[written..written + n]);
                    written += n;
                    drop(st);
                    self.readable.notify_waiters();
                    continue;
                }
            }
            notified.await;
        }
        Ok(())
    }

    /// Bytes written but not yet read.
    pub fn pending(&self) -> usize {
        self.state.lock().unwrap().buf.len()
    }

    /// Bytes written into this pipe that no reader will ever see.
    pub fn lost(&self) -> usize {
        self.state.lock().unwrap().lost
    }

    pub fn writers(&self) -> usize {
        self.state.lock().unwrap().writers
    }

    /// Sets the capacity, as fcntl(2) F_SETPIPE_SZ does.
    pub fn set_capacity(&self, capacity: usize) {
        self.state.lock().unwrap().capacity = capacity.max(1);
        self.writable.notify_waiters();
    }
}

/// Removes and returns up to `max` bytes from the front, copying slices
/// rather than byte by byte (a 1 MiB transfer goes through here).
fn take_front(buf: &mut VecDeque<u8>, max: usize) -> Vec<u8> {
    let n = max.min(buf.len());
    let (a, b) = buf.as_slices();
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(&a[..n.min(a.len())]);
    if n > a.len() {
        out.extend_from_slice(&b[..n - a.len()]);
    }
    buf.drain(..n);
    out
}

impl PipeEnd {
    /// Reads this (read) end until end-of-file, handing each block to `f`:
    /// how the harness collects a command line's output.
    pub async fn for_each_block(self, mut f: impl FnMut(&[u8])) {
        loop {
            let block = self.pipe.read(PIPE_CAPACITY).await;
            if block.is_empty() {
                return;
            }
            f(&block);
        }
    }

    /// Another open file description of the same end (a second open of the
    /// pipe; dup and fork share one description through `Arc` instead).
    fn reopen(&self) -> PipeEnd {
        {
            let mut st = self.pipe.state.lock().unwrap();
            match self.end {
                End::Read => st.readers += 1,
                End::Write => st.writers += 1,
            }
        }
        PipeEnd {
            pipe: self.pipe.clone(),
            end: self.end,
        }
    }
}

impl Clone for PipeEnd {
    fn clone(&self) -> Self {
        self.reopen()
    }
}

impl Drop for PipeEnd {
    /// close(2) of the last descriptor of this end.
    fn drop(&mut self) {
        let mut st = self.pipe.state.lock().unwrap();
        match self.end {
            End::Read => {
                st.readers -= 1;
                if st.readers == 0 {
                    // Nobody will read again: what is buffered is gone.
                    st.lost += st.buf.len();
                    st.buf.clear();
                }
                drop(st);
                self.pipe.writable.notify_waiters();
            }
            End::Write => {
                st.writers -= 1;
                drop(st);
                self.pipe.readable.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_sees_eof_only_when_every_write_end_is_closed() {
        crate::sim::unix::block_on(async {
            let (r, w) = Pipe::create(1, PIPE_CAPACITY);
            let w2 = w.clone();
            drop(w);
            assert_eq!(
                r.pipe.try_read(10),
                None,
                "one writer left: EAGAIN, not EOF"
            );
            drop(w2);
            assert_eq!(r.pipe.read(10).await, Vec::<u8>::new());
        });
    }

    #[test]
    fn writer_blocks_when_full_and_resumes_when_read() {
        crate::sim::unix::block_on(async {
            let (r, w) = Pipe::create(1, 4);
            let pipe = w.pipe.clone();
            let writer = tokio::spawn(async move {
                let result = pipe.write(b"abcdef").await;
                drop(w);
                result
            });
            tokio::task::yield_now().await;
            assert_eq!(r.pipe.pending(), 4, "only the capacity fits");
            assert!(!writer.is_finished());
            assert_eq!(r.pipe.read(10).await, b"abcd");
            assert_eq!(writer.await.unwrap(), Ok(()));
            assert_eq!(r.pipe.read(10).await, b"ef");
            assert_eq!(r.pipe.read(10).await, b"");
        });
    }

    #[test]
    fn write_without_reader_is_epipe() {
        crate::sim::unix::block_on(async {
            let (r, w) = Pipe::create(1, PIPE_CAPACITY);
            drop(r);
            assert_eq!(w.pipe.write(b"x").await, Err((0, PipeError::Broken)));
        });
    }
}
