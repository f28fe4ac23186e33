//! Shrinking a failing run: smaller scenarios that still fail the same
//! way on the same seed, written beside the original as a regression.

mod command;
mod reduce;

pub use command::{ShrinkArgs, shrink_command};
pub use reduce::{Shrunk, shrink};
