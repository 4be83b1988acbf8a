//! A test that cannot run here (a tool or a data file is missing) says so
//! where the run's summary can show it: one line, `test binary::test: why`,
//! appended to `$TWEETCHAT_SKIP_LOG`, which `tests/run` prints at the end.
//! Without that variable (plain `cargo test`), only the notice on stderr.
//!
//! Under CI (`CI` set) a missing tool is a failure instead, so CI cannot
//! skip a test quietly: [`skip_or_fail`].

use std::io::Write;

/// Records that the calling test skips, and why.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.to_string(),
        _ => "(one test)".to_string(),
    };
    eprintln!("skipping: {why}");
    record(&format!("{}::{test}: {why}", env!("CARGO_CRATE_NAME")));
}

/// Records a check that a whole test binary leaves out (a fake that cannot
/// check requests against a schema): one line for the binary, not one per
/// test.
pub fn partial(why: &str) {
    eprintln!("notice: {why}");
    record(&format!(
        "{} (part of each test): {why}",
        env!("CARGO_CRATE_NAME")
    ));
}

fn record(line: &str) {
    let Some(path) = std::env::var_os("TWEETCHAT_SKIP_LOG") else {
        return;
    };
    let line = format!("{line}\n");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

/// [`skip`], or a failure when `CI` is set: CI installs every tool.
pub fn skip_or_fail(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}; with CI set this fails instead of skipping"
    );
    skip(why);
}
