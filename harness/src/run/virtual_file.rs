//! The content of a scenario's virtual files (`[[server.file]]`), the same
//! in both lanes: the sim's kernel serves it on read(2), and the real lane
//! writes it into the run's own files before the session starts, so that
//! a copy compares byte for byte whichever lane made it.

/// The byte at `offset` of every virtual file: printable, so that a copy
/// shown on a screen reads as text, and position-dependent, so that a
/// truncated or reordered copy differs.
pub fn virtual_byte(offset: u64) -> u8 {
    if offset % 64 == 63 {
        b'\n'
    } else {
        b'a' + (offset % 26) as u8
    }
}

/// The pattern repeats every lcm(26, 64) bytes.
const PATTERN_PERIOD: usize = 832;

/// `len` bytes of a virtual file from `offset`, built from one period of
/// the pattern rather than byte by byte.
pub fn virtual_bytes(offset: u64, len: usize) -> Vec<u8> {
    static PERIOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let period = PERIOD.get_or_init(|| (0..2 * PATTERN_PERIOD as u64).map(virtual_byte).collect());
    let mut out = Vec::with_capacity(len);
    let mut at = (offset % PATTERN_PERIOD as u64) as usize;
    while out.len() < len {
        let take = (len - out.len()).min(PATTERN_PERIOD);
        out.extend_from_slice(&period[at..at + take]);
        at = (at + take) % PATTERN_PERIOD;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_files_are_printable_lines() {
        assert_eq!(virtual_byte(0), b'a');
        assert_eq!(virtual_byte(63), b'\n');
    }

    #[test]
    fn bulk_virtual_bytes_match_the_bytewise_pattern() {
        for (offset, len) in [(0, 5000), (831, 3), (1000, 1), (12345, 2000)] {
            let slow: Vec<u8> = (offset..offset + len as u64).map(virtual_byte).collect();
            assert_eq!(virtual_bytes(offset, len), slow);
        }
    }
}
