//! The lane a `hangar run` runs in, parsed where the flag is.

use std::fmt;
use std::str::FromStr;

use crate::report::{LANE_REAL, LANE_SIM};

/// `--lane`: simulated hosts, real peers, or both compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    Sim,
    Real,
    /// The sim lane over seeds and the real lane over repeated runs,
    /// compared scenario by scenario.
    Both,
}

impl Lane {
    pub const BOTH: &str = "both";
}

impl FromStr for Lane {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            LANE_SIM => Ok(Lane::Sim),
            LANE_REAL => Ok(Lane::Real),
            Lane::BOTH => Ok(Lane::Both),
            other => Err(format!(
                "unknown lane `{other}`: the lanes are `sim`, `real` and `both`\n  example: hangar run scenarios/ --lane real --target openssh"
            )),
        }
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lane::Sim => LANE_SIM,
            Lane::Real => LANE_REAL,
            Lane::Both => Lane::BOTH,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_parse_back_from_their_names_and_a_typo_names_them_all() {
        for lane in [Lane::Sim, Lane::Real, Lane::Both] {
            assert_eq!(lane.to_string().parse::<Lane>(), Ok(lane));
        }
        let error = "Real".parse::<Lane>().unwrap_err();
        assert!(error.contains("`sim`, `real` and `both`"), "{error}");
        assert!(error.contains("example: "), "{error}");
    }
}
