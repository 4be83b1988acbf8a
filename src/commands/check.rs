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
use crate::plan::validate::{AccountLimit, check_against_accounts};
use crate::plan::{ChatPlan, Diagnostic, LoadReport, load_paths};
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
    let mut report = load_paths(&paths);
    if let Some(settings) = &settings {
        check_accounts(&mut report, settings);
    }
    print(&report);
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

/// Adds account and length problems; a plan with any is no longer valid.
fn check_accounts(report: &mut LoadReport, settings: &Settings) {
    let accounts: Vec<AccountLimit> = settings
        .accounts
        .values()
        .map(|a| AccountLimit {
            name: a.name.clone(),
            platform: a.platform,
            // The instance's own limit, as the daemon last read it.
            limit: match a.platform {
                crate::text::PlatformKind::Mastodon => {
                    crate::daemon::accounts::stored_limits(&settings.state_dir, &a.name)
                        .map_or(a.platform.default_limit(), |l| l.max_characters)
                }
                _ => a.platform.default_limit(),
            },
        })
        .collect();
    let now = jiff::Timestamp::now();
    let plans = std::mem::take(&mut report.plans);
    let problems = crate::parallel::map_in_order(&plans, |plan| {
        check_against_accounts(plan, &accounts, &settings.default_accounts, now)
    });
    for (plan, diags) in plans.into_iter().zip(problems) {
        if diags.is_empty() {
            report.plans.push(plan);
        } else {
            report.errors.extend(diags);
        }
    }
}

fn print(report: &LoadReport) {
    for diag in &report.errors {
        eprintln!("{diag}");
    }
    let now = jiff::Timestamp::now();
    let upcoming = crate::parallel::map_in_order(&report.plans, |plan| next(plan, now));
    let mut out = std::io::stdout().lock();
    for (plan, next) in report.plans.iter().zip(upcoming) {
        // A closed stdout (`check | head`) only cuts the listing short.
        if writeln!(out, "ok {} ({}): {next}", plan.id, plan.source.display()).is_err() {
            break;
        }
    }
    drop(out);
    let invalid = report.invalid_files().min(report.files);
    let errors = report.errors.len();
    println!(
        "{}, {} valid, {} invalid, {}",
        plural(report.files, "file"),
        report.plans.len(),
        invalid,
        plural(errors, "error")
    );
}

/// "next Wed 2 Dec 2026 12:00 CST", or that there is none within a year.
fn next(plan: &ChatPlan, now: jiff::Timestamp) -> String {
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 366))
        .unwrap_or(now);
    match crate::schedule::occurrences(plan, now, until).first() {
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
