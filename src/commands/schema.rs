//! `tweetchat schema`.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    todo!("tweetchat schema")
}
