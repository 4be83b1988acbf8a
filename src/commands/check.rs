//! `tweetchat check [PATHS]`: validate chat files and the settings, and say
//! what to fix.
//!
//! The settings are read exactly as `tweetchat run` reads them (files and
//! `TWEETCHAT__…` variables, built-in defaults when there is no config
//! folder), and every account is built by the daemon's own account factory
//! ([`build_account`]), so `check` refuses exactly what `run` would refuse at
//! start-up: an empty secret, a platform this build cannot run. An account
//! that no chat posts to is a warning (not when a chat file is too broken
//! to tell which accounts it names), and so is an environment variable that
//! looks like a setting but is not read (`TWEETCHAT_HTTP__LISTEN`).
//! `--settings` lists every setting set above the defaults and where it
//! came from. Broken settings do not stop the chat files from being checked
//! on their own (account names and lengths are then not checked).
//!
//! Exit 0 when nothing is wrong (warnings allowed), 1 when a file or the
//! settings are invalid.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::daemon::accounts::{AccountContext, build_account};
use crate::plan::load::collect_files;
use crate::plan::load::load_file_warned;
use crate::plan::validate::AccountLimit;
use crate::plan::{ChatPlan, Diagnostic, LoadReport};
use crate::schedule::lengths::check_against_accounts;
use crate::settings::Settings;
use crate::settings::explain;

pub fn run(config_dir: &Path, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (settings, mut problems) = settings(config_dir);
    let chats_dir = settings
        .as_ref()
        .map_or_else(|| PathBuf::from("chats"), |s| s.chats_dir.clone());
    let paths = super::chat_paths(args.paths, &chats_dir);
    let mut report = LoadReport::default();
    let files = collect_files(&paths, &mut report);
    let accounts = settings
        .as_ref()
        .map(|s| (account_limits(s), s.default_accounts.as_slice()));
    let link = settings.as_ref().map(|s| CalendarLink {
        base: s.http.public_base().map(std::sync::Arc::from),
        public: !s.http.public_url.is_empty(),
    });
    let now = jiff::Timestamp::now();
    // One parallel pass: each file is read, validated, checked against the
    // accounts and given its next occurrence by the same worker.
    let checked = crate::parallel::map_in_order(&files, |file| {
        check_file(
            file,
            accounts.as_ref().map(|(a, d)| (a.as_slice(), *d)),
            link.as_ref(),
            now,
        )
    });
    let mut valid = Vec::with_capacity(checked.len());
    // The accounts every file names; `None` once a file is too broken to
    // tell (then no account is called unused).
    let mut named: Option<Vec<String>> = Some(Vec::new());
    for checked in checked {
        report.warnings.extend(checked.warnings);
        match checked.result {
            Ok(line) => valid.push(line),
            Err(diags) => report.errors.extend(diags),
        }
        match (checked.accounts, named.as_mut()) {
            (Some(accounts), Some(named)) => named.extend(accounts),
            _ => named = None,
        }
    }
    let environment = crate::settings::env_file::environment();
    let mut settings_warnings =
        explain::lookalike_variables(environment.iter().map(|(name, _)| name.as_str()));
    if let Some(settings) = &settings {
        problems.extend(build_every_account(settings));
        settings_warnings.extend(instance_names(settings));
        if let Some(named) = &named {
            settings_warnings.extend(unused_accounts(settings, named));
        }
    }
    print(&report, &valid, &problems, &settings_warnings);
    if args.settings {
        print_origins(config_dir, environment);
    }
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

/// Mastodon accounts whose instance calls itself by another name than
/// `api_base`, as the daemon last read it (`check` never goes online; the
/// daemon keeps what `/api/v2/instance` said in the state database).
fn instance_names(settings: &Settings) -> Vec<String> {
    use crate::platform::mastodon::instance;
    settings
        .accounts
        .values()
        .filter(|account| account.platform == crate::text::PlatformKind::Mastodon)
        .filter_map(|account| {
            let base = account.api_base.as_deref()?;
            let known = crate::daemon::accounts::stored_limits(&settings.state_dir, &account.name)?;
            let domain = instance::other_name(base, known.domain.as_deref())?;
            Some(format!(
                "account `{}`: the instance calls itself `{domain}` while api_base is {base} (as the \
                 daemon last read /api/v2/instance). Posting is not affected, and searches and \
                 transcripts follow its next-page links on `{domain}` through api_base; a link to \
                 any other host is refused. If `{domain}` is reachable from here, api_base = \
                 \"https://{domain}\" avoids the difference",
                account.name
            ))
        })
        .collect()
}

/// Accounts that no chat posts to: neither in `default_accounts` nor in
/// `named` (every chat's `accounts`). The built-in `console` is always
/// there and never warned about.
fn unused_accounts(settings: &Settings, named: &[String]) -> Vec<String> {
    settings
        .accounts
        .keys()
        .filter(|name| name.as_str() != "console")
        .filter(|name| !settings.default_accounts.contains(name) && !named.contains(name))
        .map(|name| {
            format!(
                "account `{name}` is not used: it is not in `default_accounts` and no chat names it in `accounts`; \
                 `run` still signs it in at start-up. Add it to default_accounts or a chat's accounts, or remove [accounts.{name}]"
            )
        })
        .collect()
}

fn account_limits(settings: &Settings) -> Vec<AccountLimit> {
    settings
        .accounts
        .values()
        .map(|a| crate::daemon::accounts::account_limit(&settings.state_dir, &a.name, a.platform))
        .collect()
}

/// What checking one file gave.
struct Checked {
    /// Its `ok` line, or every problem in it.
    result: Result<String, Vec<Diagnostic>>,
    /// Its warnings, either way.
    warnings: Vec<Diagnostic>,
    /// The accounts it names (none: the defaults), also when it has other
    /// problems; `None` when the file is too broken to tell.
    accounts: Option<Vec<String>>,
}

/// Every setting a layer above the defaults sets, and where it came from
/// (`check --settings`), on standard output after the summary.
fn print_origins(config_dir: &Path, environment: Vec<(String, String)>) {
    match explain::origins(config_dir, environment) {
        Ok(origins) if origins.is_empty() => {
            println!("settings: every setting is its default (config/default.toml)");
        }
        Ok(origins) => {
            println!(
                "settings over the defaults (later wins: default.toml, TWEETCHAT_DEFAULTS_FILE, local.toml, the environment):"
            );
            for origin in origins {
                println!("  {} = {}  ({})", origin.key, origin.value, origin.source);
            }
        }
        // Already reported as a settings problem above.
        Err(_) => {}
    }
}

/// The `accounts:` list of a file that did not load, read leniently; `None`
/// when even that fails.
fn accounts_named_in(file: &Path) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(default)]
        accounts: Option<Vec<String>>,
    }
    let text = std::fs::read_to_string(file).ok()?;
    let named: Named = serde_saphyr::from_str(&text).ok()?;
    Some(named.accounts.unwrap_or_default())
}

/// One file: its `ok` line, or every problem in it (account and length
/// problems included when there are settings).
fn check_file(
    file: &Path,
    accounts: Option<(&[AccountLimit], &[String])>,
    link: Option<&CalendarLink>,
    now: jiff::Timestamp,
) -> Checked {
    let loaded = load_file_warned(file);
    let warnings = loaded.warnings;
    let (mut plan, spans) = match loaded.plan {
        Ok(found) => found,
        Err(diags) => {
            return Checked {
                result: Err(diags),
                warnings,
                accounts: accounts_named_in(file),
            };
        }
    };
    let named = Some(
        plan.accounts
            .iter()
            .flatten()
            .map(|a| a.to_string())
            .collect(),
    );
    let failed = |diags| Checked {
        result: Err(diags),
        warnings: warnings.clone(),
        accounts: named.clone(),
    };
    if let Some(link) = link
        && let Err(diags) = link_calendar(&mut plan, link)
    {
        return failed(diags);
    }
    if let Some((accounts, default_accounts)) = accounts {
        let diags = check_against_accounts(&plan, &spans, accounts, default_accounts, now);
        if !diags.is_empty() {
            return failed(diags);
        }
    }
    let mut warnings = warnings;
    warnings.extend(season_warnings(&plan, now));
    let line = format!(
        "ok {} ({}): {}",
        plan.id,
        plan.source.display(),
        next(&plan, now)
    );
    Checked {
        result: Ok(line),
        warnings,
        accounts: named,
    }
}

/// How far ahead `check` looks for sessions that are not ready.
const SEASON_LOOKAHEAD_DAYS: i64 = 14;

/// Sessions in the next two weeks that are not ready: no questions (so not
/// held), or `{topic}`/`{host}` used where the session gives none.
fn season_warnings(plan: &ChatPlan, now: jiff::Timestamp) -> Vec<Diagnostic> {
    if plan.season.is_none() {
        return Vec::new();
    }
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * SEASON_LOOKAHEAD_DAYS))
        .unwrap_or(now);
    let local = |at: jiff::Timestamp| {
        let zoned = at.to_zoned(plan.tz.clone());
        format!(
            "{} {}",
            zoned.strftime("%a %-d %b %Y %H:%M"),
            crate::schedule::times::zone_label(&zoned)
        )
    };
    let file_name = |key: jiff::civil::DateTime| {
        crate::plan::load::session_dir(&plan.source).join(format!(
            "{}.yaml",
            crate::plan::season::page_id(plan.recurrence(), key)
        ))
    };
    let mut out = Vec::new();
    for (occurrence, first) in crate::schedule::unprepared(plan, now, until) {
        let first = first.map_or(String::new(), |slot| {
            format!(
                "; its first post, {}, would go out {}",
                slot.label(),
                local(slot.at)
            )
        });
        out.push(
            Diagnostic::new(
                &plan.source,
                0,
                0,
                format!(
                    "session {} ({}) has no questions yet, so it will not be held{first}",
                    occurrence.key.date(),
                    local(occurrence.start.timestamp())
                ),
            )
            .help(format!(
                "add {} with `questions:` (or an entry `{}:` under `sessions:`), or `skip: true` if it is not held",
                file_name(occurrence.key).display(),
                occurrence.key.date()
            ))
            .warning(),
        );
    }
    for (occurrence, name) in crate::schedule::missing_session_values(plan, now, until) {
        out.push(
            Diagnostic::new(
                &plan.source,
                0,
                0,
                format!(
                    "session {} ({}) gives no `{name}`, but its texts use {{{name}}}: it would be posted empty",
                    occurrence.key.date(),
                    local(occurrence.start.timestamp())
                ),
            )
            .help(format!(
                "give the session `{name}: …` (in {} or under `sessions:`)",
                file_name(occurrence.key).display()
            ))
            .warning(),
        );
    }
    out
}

/// Where `{calendar}` links, from the settings.
struct CalendarLink {
    /// Shared by every plan that links to it.
    base: Option<std::sync::Arc<str>>,
    /// `public_url` is set (not only the listener).
    public: bool,
}

/// Points `{calendar}` where the daemon will, so lengths count the real
/// link; a chat that uses it with nowhere to link to is invalid, and one
/// that links to the bare listener gets a warning.
fn link_calendar(plan: &mut ChatPlan, link: &CalendarLink) -> Result<(), Vec<Diagnostic>> {
    if !crate::plan::uses_calendar(plan) {
        return Ok(());
    }
    let Some(base) = &link.base else {
        return Err(vec![
            Diagnostic::new(
                &plan.source,
                0,
                0,
                "`{calendar}` and `{page}` have no address to link to: [http] public_url and [http] listen are both empty",
            )
            .help("set [http] public_url to where participants reach the pages, such as \"https://chats.example.org\""),
        ]);
    };
    if !link.public {
        eprintln!(
            "warning: {}: `{{calendar}}` links to {base}/chats/{}.ics, the daemon's own listener; \
             set [http] public_url to the address participants can reach",
            plan.source.display(),
            plan.id
        );
    }
    crate::plan::set_calendar_base(plan, std::sync::Arc::clone(base));
    Ok(())
}

fn print(
    report: &LoadReport,
    valid: &[String],
    settings_problems: &[String],
    settings_warnings: &[String],
) {
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
    let mut out = std::io::stdout().lock();
    for line in valid {
        // A closed stdout (`check | head`) only cuts the listing short.
        if writeln!(out, "{line}").is_err() {
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
        valid.len(),
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
    match crate::schedule::next_occurrence(plan, now).filter(|s| s.timestamp() < until) {
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
