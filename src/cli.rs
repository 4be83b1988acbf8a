//! The command line. Each subcommand is a thin call into the library.

use std::process::ExitCode;

pub fn main() -> ExitCode {
    todo!("cli")
}
