//! `tweetchat count`.

use std::process::ExitCode;

use crate::cli::CountArgs;

pub fn run(args: CountArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    todo!("tweetchat count")
}
