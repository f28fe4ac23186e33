//! A run line through the shell parser and, when it parses, the host
//! model's checks of the commands it runs. Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    if let Ok(script) = hangar_shell::parse(line) {
        let _ = hangar::validate::check_script(&script, 0);
    }
});
