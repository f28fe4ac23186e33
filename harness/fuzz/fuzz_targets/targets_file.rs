//! A targets file's text through its parser, as a user's file and as the
//! built-in one. It may refuse the text; it may not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = hangar::real::targets::file::parse("fuzz.toml", text, false);
    let _ = hangar::real::targets::file::parse("fuzz.toml", text, true);
});
