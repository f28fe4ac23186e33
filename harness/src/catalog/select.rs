//! Which scenario files a `hangar run` or `hangar list` takes: by tag
//! (`--tag`, `--exclude-tag`), by name (`--filter`), and one part of a
//! partition (`--partition hash:K/N` or `count:K/N`, as cargo-nextest
//! splits a test suite over CI jobs). The parts of a partition add up to
//! the whole selection, each file in exactly one part.

use std::str::FromStr;

use hangar_scenario::Scenario;

/// The selection options, as given.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// A file is taken when it has any of these tags (all files when empty).
    pub tags: Vec<String>,
    /// ... and none of these.
    pub exclude_tags: Vec<String>,
    /// ... and its path contains this text.
    pub filter: Option<String>,
    pub partition: Option<Partition>,
}

/// `--partition`: part `part` (from 1) of `of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// By a hash of the file's path: a file stays in its part when others
    /// come and go.
    Hash { part: u64, of: u64 },
    /// By the file's place in the selection: parts of equal size.
    Count { part: u64, of: u64 },
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Partition, String> {
        let bad = || {
            format!(
                "--partition `{text}`: expected hash:K/N or count:K/N with 1 <= K <= N\n  \
                 example: --partition hash:1/3"
            )
        };
        let (kind, fraction) = text.split_once(':').ok_or_else(bad)?;
        let (part, of) = fraction.split_once('/').ok_or_else(bad)?;
        let (part, of): (u64, u64) = match (part.parse(), of.parse()) {
            (Ok(part), Ok(of)) if (1..=of).contains(&part) => (part, of),
            _ => return Err(bad()),
        };
        match kind {
            "hash" => Ok(Partition::Hash { part, of }),
            "count" => Ok(Partition::Count { part, of }),
            _ => Err(bad()),
        }
    }
}

impl Selection {
    /// The files selected, in their order. An error when tags or a filter
    /// leave nothing (a misspelt tag, most likely: the known ones are
    /// listed); an empty part of a partition is not one.
    pub fn apply(&self, scenarios: Vec<Scenario>) -> Result<Vec<Scenario>, String> {
        let known_tags = known_tags(&scenarios);
        let chosen: Vec<Scenario> = scenarios.into_iter().filter(|s| self.takes(s)).collect();
        if chosen.is_empty() {
            return Err(format!(
                "error: no scenario file has {}; the tags in these files: {}\n  example: --tag exit",
                self.describe(),
                known_tags.join(", ")
            ));
        }
        Ok(match self.partition {
            None => chosen,
            Some(partition) => chosen
                .into_iter()
                .enumerate()
                .filter(|(i, s)| partition.holds(*i as u64, &s.path))
                .map(|(_, s)| s)
                .collect(),
        })
    }

    fn takes(&self, scenario: &Scenario) -> bool {
        let has = |tag: &String| scenario.tags.contains(tag);
        (self.tags.is_empty() || self.tags.iter().any(has))
            && !self.exclude_tags.iter().any(has)
            && self
                .filter
                .as_ref()
                .is_none_or(|text| scenario.path.contains(text.as_str()))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            parts.push(format!("a tag of {}", self.tags.join(", ")));
        }
        if !self.exclude_tags.is_empty() {
            parts.push(format!("none of {}", self.exclude_tags.join(", ")));
        }
        if let Some(text) = &self.filter {
            parts.push(format!("`{text}` in its path"));
        }
        parts.join(" and ")
    }
}

impl Partition {
    /// Whether the file at `index` of the selection, at `path`, is in
    /// this part.
    fn holds(&self, index: u64, path: &str) -> bool {
        match *self {
            Partition::Hash { part, of } => fnv1a(path.as_bytes()) % of == part - 1,
            Partition::Count { part, of } => index % of == part - 1,
        }
    }
}

/// FNV-1a, 64 bits: the same part for the same path on every machine and
/// release (std's hasher promises neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn known_tags(scenarios: &[Scenario]) -> Vec<String> {
    let mut tags: Vec<String> = scenarios.iter().flat_map(|s| s.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::catalog::load_all;

    fn catalog() -> Vec<Scenario> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut scenarios = load_all(&[root]).unwrap();
        for s in &mut scenarios {
            // Paths as a user gives them, the same on every machine.
            s.path = s.path.split("scenarios/").last().unwrap().to_string();
        }
        scenarios
    }

    fn paths(scenarios: &[Scenario]) -> Vec<String> {
        scenarios.iter().map(|s| s.path.clone()).collect()
    }

    #[test]
    fn partitions_are_read_with_their_bounds_checked() {
        assert_eq!(
            "hash:2/3".parse::<Partition>(),
            Ok(Partition::Hash { part: 2, of: 3 })
        );
        assert_eq!(
            "count:1/1".parse::<Partition>(),
            Ok(Partition::Count { part: 1, of: 1 })
        );
        for bad in [
            "hash:0/3",
            "count:4/3",
            "hash:1",
            "slice:1/2",
            "hash:a/b",
            "",
            "count:1/0",
        ] {
            let err = bad.parse::<Partition>().unwrap_err();
            assert!(
                err.contains("example: --partition hash:1/3"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_parts_of_a_partition_add_up_to_the_whole_each_file_once() {
        let whole = paths(&catalog());
        for kind in ["hash", "count"] {
            for of in [1, 2, 3, 7] {
                let mut seen = Vec::new();
                for part in 1..=of {
                    let selection = Selection {
                        partition: Some(format!("{kind}:{part}/{of}").parse().unwrap()),
                        ..Selection::default()
                    };
                    seen.extend(paths(&selection.apply(catalog()).unwrap()));
                }
                seen.sort();
                let mut expected = whole.clone();
                expected.sort();
                assert_eq!(seen, expected, "{kind}:K/{of}");
            }
        }
    }

    #[test]
    fn tags_exclusions_and_the_filter_combine() {
        let by = |selection: Selection| paths(&selection.apply(catalog()).unwrap());
        let scp = by(Selection {
            tags: vec!["scp".into()],
            ..Selection::default()
        });
        assert!(scp.iter().all(|p| p.contains("scp")), "{scp:?}");
        let sftp_only = by(Selection {
            tags: vec!["scp".into()],
            exclude_tags: vec!["sftp".into()],
            filter: Some("big".into()),
            partition: None,
        });
        assert_eq!(sftp_only, ["race/scp-big.toml"]);
        let err = Selection {
            tags: vec!["exitt".into()],
            ..Selection::default()
        }
        .apply(catalog())
        .unwrap_err();
        assert!(err.contains("no scenario file has a tag of exitt"), "{err}");
        assert!(err.contains("exit, "), "the known tags are listed: {err}");
    }
}
