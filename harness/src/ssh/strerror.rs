//! How ssh(1) words a failed connection: the C library's text of the
//! errno, for the simulated ssh and hangar-ssh alike.

/// strerror(3) of the errno behind `kind`, as ssh(1) prints it.
pub fn strerror(kind: std::io::ErrorKind) -> &'static str {
    match kind {
        std::io::ErrorKind::ConnectionReset => "Connection reset by peer",
        std::io::ErrorKind::TimedOut => "Connection timed out",
        std::io::ErrorKind::BrokenPipe => "Broken pipe",
        std::io::ErrorKind::ConnectionRefused => "Connection refused",
        _ => "Connection closed",
    }
}
