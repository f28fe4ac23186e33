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

impl Shard {
    /// The whole range: one part of one.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };
}

/// The seeds are computed from an index, never listed: a range of ten
/// billion seeds costs no memory, and workers share it through a counter.
impl SeedRange {
    /// How many seeds `shard` (all of them without one) holds.
    pub fn count(&self, shard: Option<Shard>) -> u64 {
        let Shard { index, count } = shard.unwrap_or(Shard::WHOLE);
        let span = self.end - self.start;
        // The shard's seeds are start + (index - 1) + i * count.
        span.saturating_sub(index - 1).div_ceil(count)
    }

    /// The `i`-th seed of `shard`, in increasing order; `None` past its end.
    pub fn nth(&self, shard: Option<Shard>, i: u64) -> Option<u64> {
        let Shard { index, count } = shard.unwrap_or(Shard::WHOLE);
        let offset = i.checked_mul(count)?.checked_add(index - 1)?;
        (offset < self.end - self.start).then(|| self.start + offset)
    }

    /// The seeds of `shard`, in increasing order, one at a time.
    pub fn iter(&self, shard: Option<Shard>) -> impl Iterator<Item = u64> + use<> {
        let range = *self;
        (0..range.count(shard)).map_while(move |i| range.nth(shard, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_range() {
        let range: SeedRange = "10..20".parse().unwrap();
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|k| range.iter(Some(Shard { index: k, count: 3 })))
            .collect();
        all.sort();
        assert_eq!(all, (10..20).collect::<Vec<_>>());
        let first: Option<Shard> = Some("1/3".parse().unwrap());
        assert_eq!(range.iter(first).collect::<Vec<_>>(), vec![10, 13, 16, 19]);
        assert_eq!(range.count(first), 4);
        assert_eq!(range.count(Some("3/3".parse().unwrap())), 3);
    }

    #[test]
    fn a_huge_range_is_counted_and_indexed_without_listing_it() {
        let huge: SeedRange = "0..10000000000".parse().unwrap();
        assert_eq!(huge.count(None), 10_000_000_000);
        assert_eq!(huge.nth(None, 9_999_999_999), Some(9_999_999_999));
        assert_eq!(huge.nth(None, 10_000_000_000), None);
        let last = Some(Shard { index: 4, count: 4 });
        assert_eq!(huge.count(last), 2_500_000_000);
        assert_eq!(huge.nth(last, 2_499_999_999), Some(9_999_999_999));
        // At the top of u64, indexes past the end do not overflow.
        let top = SeedRange {
            start: u64::MAX - 3,
            end: u64::MAX,
        };
        assert_eq!(
            top.iter(None).collect::<Vec<_>>(),
            vec![u64::MAX - 3, u64::MAX - 2, u64::MAX - 1]
        );
        assert_eq!(top.nth(None, u64::MAX), None);
        assert_eq!(top.count(Some(Shard { index: 5, count: 5 })), 0);
    }

    #[test]
    fn bad_ranges_and_shards_say_what_is_expected() {
        assert!("5..5".parse::<SeedRange>().unwrap_err().contains("empty"));
        assert!("x".parse::<SeedRange>().unwrap_err().contains("0..2000"));
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
    }
}
