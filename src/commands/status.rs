//! `tweetchat status`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::StatusArgs;

pub fn run(config_dir: &Path, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat status")
}
