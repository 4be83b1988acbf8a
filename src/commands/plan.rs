//! `tweetchat plan`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::PlanArgs;

pub fn run(config_dir: &Path, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat plan")
}
