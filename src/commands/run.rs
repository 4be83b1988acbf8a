//! `tweetchat run`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::RunArgs;

pub fn run(config_dir: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat run")
}
