//! `tweetchat rehearse`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::RehearseArgs;

pub fn run(config_dir: &Path, args: RehearseArgs) -> anyhow::Result<ExitCode> {
    let _ = (config_dir, args);
    todo!("tweetchat rehearse")
}
