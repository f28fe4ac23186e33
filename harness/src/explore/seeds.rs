//! The seeds an exploration covers: a range, optionally one shard of it.

use std::fmt;
use std::str::FromStr;

/// `A..B`: the seeds A, A+1, ..., B-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

/// `k/n`: the k-th of n interleaved parts (1-based), so that shards of a
/// range each get a spread of seeds and together cover it exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for SeedRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("--seeds: expected a range such as `0..2000`, found `{text}`");
        let (a, b) = text.split_once("..").ok_or_else(bad)?;
        let start: u64 = a.trim().parse().map_err(|_| bad())?;
        let end: u64 = b.trim().parse().map_err(|_| bad())?;
        if end <= start {
            return Err(format!(
                "--seeds: the range `{text}` is empty; example: --seeds 0..2000"
            ));
        }
        Ok(SeedRange { start, end })
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("--shard: expected k/n with 1 <= k <= n, such as `2/4`, found `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl SeedRange {
    /// The seeds of `shard` (all of them without one), in increasing order.
    pub fn seeds(&self, shard: Option<Shard>) -> Vec<u64> {
        let Shard { index, count } = shard.unwrap_or(Shard { index: 1, count: 1 });
        (self.start..self.end)
            .filter(|s| (s - self.start) % count == index - 1)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_range() {
        let range: SeedRange = "10..20".parse().unwrap();
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|k| range.seeds(Some(Shard { index: k, count: 3 })))
            .collect();
        all.sort();
        assert_eq!(all, (10..20).collect::<Vec<_>>());
        assert_eq!(
            range.seeds(Some("1/3".parse().unwrap())),
            vec![10, 13, 16, 19]
        );
    }

    #[test]
    fn bad_ranges_and_shards_say_what_is_expected() {
        assert!("5..5".parse::<SeedRange>().unwrap_err().contains("empty"));
        assert!("x".parse::<SeedRange>().unwrap_err().contains("0..2000"));
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
    }
}
