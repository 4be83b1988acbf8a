//! Reading chat files from disk.

use std::path::{Path, PathBuf};

use super::{ChatPlan, Diagnostic};

/// What loading a set of paths found: the good plans and every problem.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub plans: Vec<ChatPlan>,
    pub errors: Vec<Diagnostic>,
    /// Chat files looked at.
    pub files: usize,
}

/// Loads one file: the plan, or every problem in it.
pub fn load_file(path: &Path) -> Result<ChatPlan, Vec<Diagnostic>> {
    let _ = path;
    todo!("plan::load_file")
}

/// Loads every `*.yaml`/`*.yml` directly in `dir`, in name order.
pub fn load_dir(dir: &Path) -> LoadReport {
    let _ = dir;
    todo!("plan::load_dir")
}

/// Loads files and directories; reports duplicate chat ids across them.
pub fn load_paths(paths: &[PathBuf]) -> LoadReport {
    let _ = paths;
    todo!("plan::load_paths")
}
