//! SFTP, the protocol of scp's default mode: the packets, and the server
//! that sshd runs for the `sftp` subsystem. The client side is scp's
//! ([`super::scp`]).

mod server;
pub mod wire;

pub use server::{is_sftp_server, sftp_server};
