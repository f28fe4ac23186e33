//! TCP semantics a user expects, built over turmoil's network.
//!
//! turmoil's own `partition` drops segments for good and never retransmits,
//! so hangar keeps turmoil's links clean and applies faults in a wrapper
//! around each stream ([`SimStream`]) that plays the part of the sending
//! kernel: it queues what it cannot deliver and retransmits it on heal, and
//! gives up with ETIMEDOUT once unacknowledged data is older than the
//! retransmission budget (tcp(7) `tcp_retries2`). What it leaves out:
//! congestion control, windows and bandwidth (segments arrive after the
//! link latency), SYN retries beyond one timeout, and ICMP.

mod closable;
mod network;
mod stream;

pub use closable::{Closable, Closer};
pub use network::{Block, Network, SSH_PORT, host_name};
pub use stream::SimStream;
