//! Redirections applied to a copy of the descriptor table (XCU 2.7), in the
//! order written: `2>&1 >/dev/null` and `>/dev/null 2>&1` differ.

use std::sync::{Arc, Mutex};

use hangar_shell::ast::{Redirect, RedirectOp};

use crate::sim::unix::{FdTable, FileKind, Kernel, OpenFile};

/// Applies `redirects` on `fds`; `expand` turns a target word into text.
/// Errors are the shell's diagnostic (the command is then not run, status 1).
pub fn apply(
    kernel: &Kernel,
    fds: &mut FdTable,
    redirects: &[Redirect],
    expand: impl Fn(&hangar_shell::ast::Word) -> String,
) -> Result<(), String> {
    for redirect in redirects {
        match &redirect.op {
            RedirectOp::Read(word) => {
                let name = expand(word);
                fds.set(redirect.fd, open_read(kernel, &name)?);
            }
            RedirectOp::Write(word) | RedirectOp::Append(word) => {
                let name = expand(word);
                // XCU 2.7.2: `>` creates or truncates, `>>` creates.
                let truncate = matches!(redirect.op, RedirectOp::Write(_));
                fds.set(redirect.fd, open_write(kernel, &name, truncate));
            }
            RedirectOp::Dup(from) => {
                if !fds.dup2(*from, redirect.fd) {
                    return Err(format!("{from}: Bad file descriptor"));
                }
            }
            RedirectOp::Close => {
                fds.close(redirect.fd);
            }
        }
    }
    Ok(())
}

/// open(2) O_RDONLY: a device (/dev/null, /dev/zero, /dev/urandom), a
/// terminal (`/dev/pts/N`), a declared virtual file, or a file a process
/// wrote. The host keeps only a written file's size, so it reads back as
/// a virtual file of that size: the bytes differ, their count does not. Opening a terminal
/// does not make it a controlling one (O_NOCTTY behaviour of a process
/// that already has a session).
pub fn open_read(kernel: &Kernel, name: &str) -> Result<Arc<OpenFile>, String> {
    if let Some(device) = OpenFile::device(name) {
        return Ok(device);
    }
    if let Some(tty) = name
        .strip_prefix("/dev/pts/")
        .and_then(|n| n.parse().ok())
        .and_then(|n| kernel.tty(n))
    {
        return Ok(OpenFile::tty(&tty));
    }
    let size = match kernel.stat(name) {
        Some(FileKind::Regular(size)) => Some(size),
        Some(FileKind::Directory) => return Err(format!("{name}: Is a directory")),
        None => None,
    };
    match size {
        Some(size) => Ok(Arc::new(OpenFile::Virtual {
            name: name.to_string(),
            size,
            offset: Mutex::new(0),
        })),
        None => Err(format!("{name}: No such file or directory")),
    }
}

/// open(2) O_WRONLY|O_CREAT, with O_TRUNC when `truncate`: a device, or
/// an output file, which exists from now on.
pub fn open_write(kernel: &Kernel, name: &str, truncate: bool) -> Arc<OpenFile> {
    OpenFile::device(name).unwrap_or_else(|| {
        kernel.create_file(name, truncate);
        Arc::new(OpenFile::Output {
            name: name.to_string(),
        })
    })
}
