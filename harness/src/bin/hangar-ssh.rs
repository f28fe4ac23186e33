//! `hangar-ssh`: hangar's own SSH client (see `hangar::realssh::client`).

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let status = hangar::realssh::client::main_with(&argv);
    // Exit at once: the thread blocked reading stdin must not hold the
    // process (ssh(1) exits when the channel closes, whatever stdin does).
    std::process::exit(status);
}
