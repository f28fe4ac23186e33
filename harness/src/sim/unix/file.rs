//! Open file descriptions and per-process descriptor tables.
//!
//! open(2): an fd refers to an open file description; dup(2) and fork(2)
//! share the description, so an `Arc<OpenFile>` is exactly one description
//! and the table holds `Arc`s. A description is closed when its last fd is
//! closed, which is when the `Arc` drops.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::pipe::PipeEnd;
use super::tty::Tty;

/// What an fd refers to.
pub enum OpenFile {
    /// null(4): reads give end-of-file, writes succeed and vanish.
    DevNull,
    /// zero(4): reads give as many zero bytes as asked, for ever; writes
    /// succeed and vanish.
    DevZero,
    /// random(4) `/dev/urandom`: reads give as many bytes as asked, never
    /// blocking; writes succeed (they only stir the pool). The bytes are
    /// pseudo-random but the same on every run, as the simulation must be.
    DevUrandom {
        offset: Mutex<u64>,
    },
    Pipe(PipeEnd),
    /// A virtual file declared by the scenario, opened for reading: it
    /// yields `size` bytes of a fixed pattern.
    Virtual {
        name: String,
        size: u64,
        offset: Mutex<u64>,
    },
    /// A regular file opened for writing (`> copy`, `nohup.out`); the bytes
    /// land in the host's file store.
    Output {
        name: String,
    },
    /// The slave side of a pseudoterminal.
    Tty(Arc<Tty>),
}

impl OpenFile {
    pub fn pipe(end: PipeEnd) -> Arc<OpenFile> {
        Arc::new(OpenFile::Pipe(end))
    }

    pub fn dev_null() -> Arc<OpenFile> {
        Arc::new(OpenFile::DevNull)
    }

    /// The character devices a host has besides terminals, by path:
    /// null(4), zero(4), random(4).
    pub fn device(path: &str) -> Option<Arc<OpenFile>> {
        let file = match path {
            "/dev/null" => OpenFile::DevNull,
            "/dev/zero" => OpenFile::DevZero,
            "/dev/urandom" => OpenFile::DevUrandom {
                offset: Mutex::new(0),
            },
            _ => return None,
        };
        Some(Arc::new(file))
    }

    pub fn tty(tty: &Arc<Tty>) -> Arc<OpenFile> {
        Arc::new(OpenFile::Tty(tty.clone()))
    }

    /// isatty(3).
    pub fn is_terminal(&self) -> bool {
        matches!(self, OpenFile::Tty(_))
    }

    /// The terminal this fd refers to, if it is one.
    pub fn as_tty(&self) -> Option<&Arc<Tty>> {
        match self {
            OpenFile::Tty(tty) => Some(tty),
            _ => None,
        }
    }

    /// How the fd reads in a trace: `pipe#3 (write end)`, `/dev/null`.
    pub fn describe(&self) -> String {
        match self {
            OpenFile::DevNull => "/dev/null".to_string(),
            OpenFile::DevZero => "/dev/zero".to_string(),
            OpenFile::DevUrandom { .. } => "/dev/urandom".to_string(),
            OpenFile::Pipe(end) => {
                format!("pipe#{} ({:?} end)", end.pipe.id, end.end).to_lowercase()
            }
            OpenFile::Virtual { name, .. } | OpenFile::Output { name } => name.clone(),
            OpenFile::Tty(tty) => format!("/dev/{}", tty.name()),
        }
    }
}

/// `len` bytes of `/dev/urandom`'s stream from `offset`: splitmix64 of
/// each 8-byte word's index, a fixed sequence that looks random.
pub fn urandom_bytes(offset: u64, len: usize) -> Vec<u8> {
    let word = |index: u64| {
        let mut z = index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)).to_le_bytes()
    };
    (offset..offset.saturating_add(len as u64))
        .map(|at| word(at / 8)[(at % 8) as usize])
        .collect()
}

/// A process's descriptor table.
#[derive(Clone, Default)]
pub struct FdTable {
    fds: BTreeMap<u32, Arc<OpenFile>>,
}

impl FdTable {
    pub fn get(&self, fd: u32) -> Option<Arc<OpenFile>> {
        self.fds.get(&fd).cloned()
    }

    /// dup2(2)-like: make `fd` refer to `file`, closing what it referred to.
    pub fn set(&mut self, fd: u32, file: Arc<OpenFile>) {
        self.fds.insert(fd, file);
    }

    pub fn close(&mut self, fd: u32) -> Option<Arc<OpenFile>> {
        self.fds.remove(&fd)
    }

    /// dup2(from, to). Returns false when `from` is not open (EBADF).
    pub fn dup2(&mut self, from: u32, to: u32) -> bool {
        match self.fds.get(&from).cloned() {
            Some(file) => {
                self.fds.insert(to, file);
                true
            }
            None => false,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Arc<OpenFile>)> {
        self.fds.iter().map(|(fd, file)| (*fd, file))
    }

    /// Empties the table, handing the descriptions to the caller so that it
    /// can drop them outside any lock.
    pub fn take_all(&mut self) -> BTreeMap<u32, Arc<OpenFile>> {
        std::mem::take(&mut self.fds)
    }
}

#[cfg(test)]
mod tests {
    use super::super::pipe::{PIPE_CAPACITY, Pipe};
    use super::*;

    #[test]
    fn fork_shares_descriptions_and_closing_one_copy_keeps_the_pipe_open() {
        let (r, w) = Pipe::create(1, PIPE_CAPACITY);
        let pipe = r.pipe.clone();
        let mut parent = FdTable::default();
        parent.set(1, OpenFile::pipe(w));
        let child = parent.clone();
        assert_eq!(pipe.writers(), 1, "fork shares the description");
        parent.close(1);
        assert_eq!(
            pipe.try_read(1),
            None,
            "the child still holds the write end"
        );
        drop(child);
        assert_eq!(
            pipe.try_read(1),
            Some(Vec::new()),
            "last write end closed: EOF"
        );
        drop(r);
    }

    #[test]
    fn urandom_is_the_same_stream_however_it_is_read() {
        let whole = urandom_bytes(0, 100);
        let mut parts = urandom_bytes(0, 37);
        parts.extend(urandom_bytes(37, 63));
        assert_eq!(whole, parts);
        assert!(whole.iter().filter(|b| **b == 0).count() < 10, "not zeros");
    }
}
