//! The terminal ioctls both programs need (tty_ioctl(4)): a window size to
//! read and set, and a controlling terminal to acquire.

use std::os::fd::{AsFd, AsRawFd};

use nix::libc;

nix::ioctl_read_bad!(get_window_size, libc::TIOCGWINSZ, libc::winsize);
nix::ioctl_write_ptr_bad!(put_window_size, libc::TIOCSWINSZ, libc::winsize);
nix::ioctl_write_int_bad!(set_controlling_tty, libc::TIOCSCTTY);

/// The size of the terminal on `fd` as (columns, rows), if it is one.
pub fn window_size(fd: impl AsFd) -> Option<(u16, u16)> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
    unsafe { get_window_size(fd.as_fd().as_raw_fd(), &mut size) }.ok()?;
    Some((size.ws_col, size.ws_row))
}

/// TIOCSWINSZ: the kernel sends SIGWINCH to the terminal's foreground
/// process group when the size changes.
pub fn set_window_size(fd: impl AsFd, cols: u16, rows: u16) -> nix::Result<()> {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the struct we own.
    unsafe { put_window_size(fd.as_fd().as_raw_fd(), &size) }.map(drop)
}

/// Makes the terminal on fd 0 the controlling terminal of the calling
/// process, which must lead a session without one (setsid(2) first).
/// Only async-signal-safe calls: it runs between fork and exec.
pub fn acquire_controlling_tty() -> nix::Result<()> {
    // SAFETY: TIOCSCTTY takes an int argument and no memory.
    unsafe { set_controlling_tty(0, 0) }.map(drop)
}
