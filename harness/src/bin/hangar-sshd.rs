//! `hangar-sshd`: hangar's own SSH server (see `hangar::realssh::server`).

use std::process::ExitCode;

use hangar::realssh::server::serve;
use hangar::realssh::server_args::{USAGE, parse_server_args};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_server_args(&argv) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("hangar-sshd: {message}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hangar-sshd: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hangar-sshd: {message}");
            ExitCode::from(1)
        }
    }
}
