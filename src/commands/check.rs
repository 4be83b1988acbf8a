//! `tweetchat check`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::CheckArgs;

pub fn run(config_dir: &Path, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat check")
}
