//! `tweetchat healthcheck`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::HealthcheckArgs;

pub fn run(config_dir: &Path, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat healthcheck")
}
