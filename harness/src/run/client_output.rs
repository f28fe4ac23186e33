//! What the command lines wrote to the client's stdout or stderr, as
//! `[expect]` checks it: every byte counted, the start kept for the
//! `stdout` and `stderr` patterns.

use hangar_scenario::CAPTURED_OUTPUT;

/// One of the client's output streams, summed over its command lines in
/// the order their writes arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientOutput {
    /// Every byte written.
    pub bytes: u64,
    /// The first [`CAPTURED_OUTPUT`] of them.
    pub start: Vec<u8>,
}

impl ClientOutput {
    /// Takes one write's bytes.
    pub fn take(&mut self, block: &[u8]) {
        self.bytes += block.len() as u64;
        let room = CAPTURED_OUTPUT.saturating_sub(self.start.len());
        self.start
            .extend_from_slice(&block[..room.min(block.len())]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_byte_and_keeps_the_start() {
        let mut output = ClientOutput::default();
        output.take(b"out\n");
        output.take(&vec![b'x'; CAPTURED_OUTPUT]);
        assert_eq!(output.bytes, 4 + CAPTURED_OUTPUT as u64);
        assert_eq!(output.start.len(), CAPTURED_OUTPUT);
        assert!(output.start.starts_with(b"out\nxx"));
        output.take(b"more");
        assert_eq!(output.bytes, 8 + CAPTURED_OUTPUT as u64);
        assert_eq!(output.start.len(), CAPTURED_OUTPUT);
    }
}
