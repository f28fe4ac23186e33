//! The scenario tests are generated from the files under `scenarios/`
//! (rstest `#[files]`): rebuild them when a file is added or removed.
fn main() {
    println!("cargo::rerun-if-changed=../scenarios");
}
