//! A scenario file's text through every load-time check: the loader
//! (`hangar_scenario::load_str`) and the host model's checks of run lines
//! (`hangar::validate::check_scenario`). Either may refuse the text; neither
//! may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(scenario) = hangar_scenario::load_str("fuzz.toml", text) {
        let _ = hangar::validate::check_scenario(&scenario, text);
    }
});
