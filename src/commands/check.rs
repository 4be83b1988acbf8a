//! `tweetchat check [PATHS]`: validate chat files and say what to fix.
//!
//! Without settings (no config folder) it still checks files on their own;
//! with settings it also checks account names and post lengths against the
//! accounts each chat posts to.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::CheckArgs;
use crate::plan::load::collect_files;
use crate::plan::validate::AccountLimit;
use crate::plan::{ChatPlan, Diagnostic, LoadReport, load_file_spanned};
use crate::schedule::lengths::check_against_accounts;
use crate::settings::Settings;

pub fn run(config_dir: &Path, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(config_dir)?;
    let paths = if args.paths.is_empty() {
        vec![
            settings
                .as_ref()
                .map_or_else(|| PathBuf::from("chats"), |s| s.chats_dir.clone()),
        ]
    } else {
        args.paths
    };
    let mut report = LoadReport::default();
    let files = collect_files(&paths, &mut report);
    let accounts = settings
        .as_ref()
        .map(|s| (account_limits(s), s.default_accounts.as_slice()));
    let now = jiff::Timestamp::now();
    // One parallel pass: each file is read, validated, checked against the
    // accounts and given its next occurrence by the same worker.
    let checked = crate::parallel::map_in_order(&files, |file| {
        check_file(
            file,
            accounts.as_ref().map(|(a, d)| (a.as_slice(), *d)),
            now,
        )
    });
    let mut valid = Vec::with_capacity(checked.len());
    for result in checked {
        match result {
            Ok(line) => valid.push(line),
            Err(diags) => report.errors.extend(diags),
        }
    }
    print(&report, &valid);
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The settings, or `None` when there is no config folder at all (checking
/// files needs no settings); a folder with broken settings is an error.
fn settings(config_dir: &Path) -> anyhow::Result<Option<Settings>> {
    if !config_dir.exists() {
        return Ok(None);
    }
    Settings::load(config_dir)
        .map(Some)
        .with_context(|| format!("reading the settings in {}", config_dir.display()))
}

fn account_limits(settings: &Settings) -> Vec<AccountLimit> {
    settings
        .accounts
        .values()
        .map(|a| AccountLimit {
            name: a.name.clone(),
            platform: a.platform,
            limit: a.platform.default_limit(),
        })
        .collect()
}

/// One file: its `ok` line, or every problem in it (account and length
/// problems included when there are settings).
fn check_file(
    file: &Path,
    accounts: Option<(&[AccountLimit], &[String])>,
    now: jiff::Timestamp,
) -> Result<String, Vec<Diagnostic>> {
    let (plan, spans) = load_file_spanned(file)?;
    if let Some((accounts, default_accounts)) = accounts {
        let diags = check_against_accounts(&plan, &spans, accounts, default_accounts, now);
        if !diags.is_empty() {
            return Err(diags);
        }
    }
    Ok(format!(
        "ok {} ({}): {}",
        plan.id,
        plan.source.display(),
        next(&plan, now)
    ))
}

fn print(report: &LoadReport, valid: &[String]) {
    for diag in &report.errors {
        eprintln!("{diag}");
    }
    let mut out = std::io::stdout().lock();
    for line in valid {
        // A closed stdout (`check | head`) only cuts the listing short.
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    drop(out);
    let invalid = report.invalid_files().min(report.files);
    let errors = report.errors.len();
    println!(
        "{}, {} valid, {} invalid, {}",
        plural(report.files, "file"),
        valid.len(),
        invalid,
        plural(errors, "error")
    );
}

/// "next Wed 2 Dec 2026 12:00 CST", or that there is none within a year.
fn next(plan: &ChatPlan, now: jiff::Timestamp) -> String {
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 366))
        .unwrap_or(now);
    match crate::schedule::next_occurrence(plan, now).filter(|s| s.timestamp() < until) {
        Some(start) => format!("next {}", start.strftime("%a %-d %b %Y %H:%M %Z")),
        None => "no occurrence in the coming year".to_string(),
    }
}

/// `path:line:col: message` and an indented help line; file-level problems
/// (line 0) name only the path. The same as [`Diagnostic`]'s `Display`.
pub fn render(diag: &Diagnostic) -> String {
    diag.to_string()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
