//! Byte sizes as scenario files write them: `1048576`, `64KiB`, `1MiB`, `10KB`.
//!
//! A whole number followed by nothing or `B` (bytes), `KiB`, `MiB`, `GiB`
//! (powers of 1024, IEC 80000-13) or `KB`, `MB`, `GB` (powers of 1000).
//! No fractions, spaces or lower-case units.

use std::fmt;

/// What a size looks like, for error messages.
pub const EXPECTED_SIZE: &str = "a size in bytes such as `1048576`, `64KiB` or `1MiB`";

const UNITS: [(&str, u64); 8] = [
    ("", 1),
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
];

/// A string that is not a size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseSizeError {
    /// The text as written.
    pub found: String,
}

impl fmt::Display for ParseSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {EXPECTED_SIZE}, found `{}`", self.found)
    }
}

impl std::error::Error for ParseSizeError {}

/// Parses `1048576`, `512B`, `64KiB`, `1MiB`, `10KB` into bytes.
///
/// # Errors
///
/// Anything else, or a size that does not fit in a `u64`.
pub fn parse_size(text: &str) -> Result<u64, ParseSizeError> {
    let fail = || ParseSizeError {
        found: text.to_owned(),
    };
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    if number.is_empty() {
        return Err(fail());
    }
    let (_, scale) = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(fail)?;
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(*scale))
        .ok_or_else(fail)
}

/// `bytes` as [`parse_size`] reads it back, in the largest binary unit
/// that is exact (`64KiB`, `2MiB`), else as a plain number (`1000`, `0`).
pub fn format_size(bytes: u64) -> String {
    // From the largest unit down; "" (plain bytes) always fits.
    for (unit, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes != 0 && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_suffixed_sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("2GiB"), Ok(2_147_483_648));
        assert_eq!(parse_size("10KB"), Ok(10_000));
        assert_eq!(parse_size("3MB"), Ok(3_000_000));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
    }

    #[test]
    fn rejects_what_is_not_a_size() {
        for text in [
            "",
            "B",
            "KiB",
            "1.5MiB",
            "1 MiB",
            "1mib",
            "1kb",
            "-1",
            "1TiB",
            "١٢",
            "1MiBB",
            "18446744073709551616",
            "17179869184GiB",
        ] {
            assert!(parse_size(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(
            parse_size("1 MiB").unwrap_err().to_string(),
            "expected a size in bytes such as `1048576`, `64KiB` or `1MiB`, found `1 MiB`"
        );
    }

    #[test]
    fn formats_exact_binary_units_else_bytes() {
        assert_eq!(format_size(0), "0");
        assert_eq!(format_size(5), "5");
        assert_eq!(format_size(1000), "1000");
        assert_eq!(format_size(4096), "4KiB");
        assert_eq!(format_size(65_536), "64KiB");
        assert_eq!(format_size(2_097_152), "2MiB");
        assert_eq!(format_size(1_572_864), "1536KiB");
        assert_eq!(format_size(3 << 30), "3GiB");
        for bytes in [0, 1, 1023, 1024, 1025, 10_000, 1 << 40, u64::MAX] {
            assert_eq!(parse_size(&format_size(bytes)), Ok(bytes), "{bytes}");
        }
    }
}
