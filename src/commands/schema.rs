//! `tweetchat schema`: the JSON Schema of the chat file (and, with
//! `--session`, of a session file), for editors.

use std::io::Write;
use std::process::ExitCode;

/// Prints the schema built from the loader's key tables.
pub fn run(args: crate::cli::SchemaArgs) -> anyhow::Result<ExitCode> {
    let text = if args.session {
        crate::plan::schema::session_text()?
    } else {
        crate::plan::schema::to_text()?
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
