//! `tweetchat schema`: the JSON Schema of the chat file, for editors.

use std::io::Write;
use std::process::ExitCode;

/// Prints the schema built from the loader's key tables.
pub fn run() -> anyhow::Result<ExitCode> {
    let text = crate::plan::schema::to_text()?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
