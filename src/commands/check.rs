//! `tweetchat check [PATHS]`: validate chat files and the settings, and say
//! what to fix.
//!
//! The settings are read exactly as `tweetchat run` reads them (files and
//! `TWEETCHAT__…` variables, built-in defaults when there is no config
//! folder), and every account is built by the daemon's own account factory
//! ([`build_account`]), so `check` refuses exactly what `run` would refuse at
//! start-up: an empty secret, a platform this build cannot run. An account
//! that no chat posts to is a warning. Broken settings do not stop the chat
//! files from being checked on their own.
//!
//! Exit 0 when nothing is wrong (warnings allowed), 1 when a file or the
//! settings are invalid.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::daemon::accounts::{AccountContext, build_account};
use crate::plan::validate::{AccountLimit, check_against_accounts};
use crate::plan::{ChatPlan, Diagnostic, LoadReport, load_paths};
use crate::settings::Settings;

pub fn run(config_dir: &Path, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (settings, settings_problems) = settings(config_dir);
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
    let mut problems = settings_problems;
    let mut warnings = Vec::new();
    if let Some(settings) = &settings {
        problems.extend(build_every_account(settings));
        check_accounts(&mut report, settings);
        warnings.extend(unused_accounts(settings, &report.plans));
    }
    print(&report, &problems, &warnings);
    Ok(if report.errors.is_empty() && problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The settings as `run` reads them, or every problem in them.
fn settings(config_dir: &Path) -> (Option<Settings>, Vec<String>) {
    match Settings::load(config_dir) {
        Ok(settings) => (Some(settings), Vec::new()),
        Err(err) => {
            let text = format!("{err:#}");
            let problems = text
                .lines()
                .map(|line| line.trim().trim_start_matches("- ").to_string())
                .filter(|line| !line.is_empty() && line != "invalid settings:")
                .collect();
            (None, problems)
        }
    }
}

/// Every account built as `run` builds it; one problem per account refused.
fn build_every_account(settings: &Settings) -> Vec<String> {
    let context = AccountContext::dry_run(settings);
    settings
        .accounts
        .values()
        .filter_map(|account| build_account(account, &context).err())
        .map(|err| format!("{err:#}"))
        .collect()
}

/// Accounts that no chat posts to: neither in `default_accounts` nor named
/// by a chat. The built-in `console` is always there and never warned about.
fn unused_accounts(settings: &Settings, plans: &[ChatPlan]) -> Vec<String> {
    settings
        .accounts
        .keys()
        .filter(|name| name.as_str() != "console")
        .filter(|name| !settings.default_accounts.contains(name))
        .filter(|name| {
            !plans
                .iter()
                .any(|p| p.accounts.as_ref().is_some_and(|a| a.contains(name)))
        })
        .map(|name| {
            format!(
                "account `{name}` is not used: it is not in `default_accounts` and no chat names it in `accounts`; \
                 `run` still signs it in at start-up. Add it to default_accounts or a chat's accounts, or remove [accounts.{name}]"
            )
        })
        .collect()
}

/// Adds account and length problems; a plan with any is no longer valid.
fn check_accounts(report: &mut LoadReport, settings: &Settings) {
    let accounts: Vec<AccountLimit> = settings
        .accounts
        .values()
        .map(|a| AccountLimit {
            name: a.name.clone(),
            platform: a.platform,
            limit: a.platform.default_limit(),
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

fn print(report: &LoadReport, settings_problems: &[String], settings_warnings: &[String]) {
    for problem in settings_problems {
        eprintln!("settings: {problem}");
    }
    for warning in settings_warnings {
        eprintln!("settings: warning: {warning}");
    }
    let mut diags: Vec<&Diagnostic> = report.errors.iter().chain(&report.warnings).collect();
    diags.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    for diag in diags {
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
    let errors = report.errors.len() + settings_problems.len();
    let warnings = report.warnings.len() + settings_warnings.len();
    let mut summary = format!(
        "{}, {} valid, {} invalid, {}",
        plural(report.files, "file"),
        report.plans.len(),
        invalid,
        plural(errors, "error")
    );
    if warnings > 0 {
        summary.push_str(&format!(", {}", plural(warnings, "warning")));
    }
    if !settings_problems.is_empty() {
        summary.push_str(" (the settings are invalid)");
    }
    println!("{summary}");
}

/// "next Wed 2 Dec 2026 12:00 CST", or that there is none within a year.
fn next(plan: &ChatPlan, now: jiff::Timestamp) -> String {
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 366))
        .unwrap_or(now);
    match crate::schedule::occurrences(plan, now, until).first() {
        Some(start) if start.second() != 0 => {
            format!("next {}", start.strftime("%a %-d %b %Y %H:%M:%S %Z"))
        }
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
