//! `tweetchat plan`: every upcoming post, before anything is posted.
//!
//! The organizer's preview: for each post in the window, when it goes out
//! (UTC and the chat's own zone), which chat, kind and number, to which
//! accounts, the rendered text, and its length as each platform the chat
//! posts to counts it, flagged when over the limit. `--format json` prints
//! the same as an array for scripts and tests.
//!
//! Posts to X accounts also carry X's pay-per-use cost estimate (`cost_usd`
//! per item in JSON; the total is a summary line after the table, or on
//! stderr with `--format json` so stdout stays one JSON array), and every
//! such post that contains a link gets a warning on stderr: X bills those at
//! more than ten times the price ([`cost`] has the prices). A thank-you on
//! X also reads the questions' threads (billed per post read): the most
//! that costs is `thread_reads_usd_max` on its item and a clause of the
//! summary line.
//!
//! Invalid chat files are reported on stderr (`path:line:col: …`) and the
//! other chats are still planned; the exit code is then 1. A bad `--from` or
//! `--until` is a usage error (2).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use jiff::Zoned;
use serde::Serialize;

use crate::cli::{OutputFormat, PlanArgs};
use crate::clock::Clock;
use crate::daemon::accounts::account_limit;
use crate::plan::accounts::AccountLimit;
use crate::plan::{self, ChatPlan};
use crate::platform::x::cost;
use crate::schedule::times::zone_label;
use crate::schedule::window::{Bound, Window};
use crate::schedule::{Slot, SlotKind, expand};
use crate::settings::Settings;
use crate::text::PlatformKind;
use crate::text::template::fill_mentions;

/// The networks a post is measured for when no account is configured, in
/// the order the table shows them.
const NETWORKS: [PlatformKind; 3] = [
    PlatformKind::X,
    PlatformKind::Mastodon,
    PlatformKind::Bluesky,
];

/// Column at which post texts wrap in the table.
const TEXT_WIDTH: usize = 76;

/// What the table shows in place of `{mentions}`: the participants are
/// only known after the chat.
pub const SAMPLE_MENTIONS: &str = "@ana @ben @chloe";

pub fn run(config_dir: &Path, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let window = match parse_window(args.from.as_deref(), args.until.as_deref()) {
        Ok(window) => window,
        Err(err) => {
            eprintln!("error: {err:#}");
            return Ok(ExitCode::from(2));
        }
    };
    // A missing config folder means the built-in defaults (chats in `chats/`,
    // posts to the console), so a preview works from anywhere.
    let settings = Settings::load(config_dir)
        .with_context(|| format!("reading settings from {}", config_dir.display()))?;
    let accounts = Accounts::new(&settings);
    let paths = super::chat_paths(args.paths, &settings.chats_dir);

    let mut report = plan::load_paths(&paths);
    if let Some(base) = settings.http.public_base() {
        let base: std::sync::Arc<str> = base.into();
        for plan in &mut report.plans {
            plan::set_calendar_base(plan, std::sync::Arc::clone(&base));
        }
    }
    for diagnostic in &report.errors {
        eprintln!("{}", super::check::render(diagnostic));
    }
    let posts = planned_posts(&report.plans, &window, &accounts);
    let not_held = not_held(&report.plans, &window);
    let estimate = warn_about_links(&posts);
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &posts).context("writing the plan as JSON")?;
            writeln!(out)?;
            for line in &not_held {
                eprintln!("note: {line}");
            }
            if let Some(estimate) = estimate {
                eprintln!("{}", estimate.summary());
            }
        }
        // Every file given was in error: the errors say it all.
        OutputFormat::Text
            if posts.is_empty() && report.plans.is_empty() && !report.errors.is_empty() => {}
        OutputFormat::Text => {
            write_table(&mut out, &posts)?;
            if !not_held.is_empty() {
                writeln!(out, "\nnot held in this window:")?;
                for line in &not_held {
                    writeln!(out, "  {line}")?;
                }
            }
            if let Some(estimate) = estimate {
                writeln!(out, "\n{}", estimate.summary())?;
            }
        }
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--from` (default: now) and `--until` (default: 8 days later).
fn parse_window(from: Option<&str>, until: Option<&str>) -> anyhow::Result<Window> {
    let from = match from {
        Some(from) => from.parse::<Bound>().context("--from")?,
        None => Bound::Instant(Clock::system(Duration::from_secs(60)).now()),
    };
    let until = until
        .map(|until| until.parse::<Bound>().context("--until"))
        .transpose()?;
    Ok(Window { from, until })
}

/// Which accounts a chat posts to, on which platforms, with which limits.
struct Accounts {
    default: Vec<String>,
    platforms: BTreeMap<String, PlatformKind>,
    /// Each account's post limit and URL length: the platform's, or for
    /// Mastodon the instance's as the daemon last read them.
    limits: BTreeMap<String, AccountLimit>,
}

impl Accounts {
    fn new(settings: &Settings) -> Self {
        let mut limits = BTreeMap::new();
        for (name, account) in &settings.accounts {
            let known = account_limit(&settings.state_dir, name, account.platform);
            let remembered = crate::daemon::accounts::stored_limits(&settings.state_dir, name);
            if account.platform == PlatformKind::Mastodon && remembered.is_none() {
                eprintln!(
                    "note: account `{name}` (mastodon): the instance's limit is not known yet, so \
                     {} characters (a link {}) are assumed; `tweetchat run` reads it from the \
                     instance and remembers it in {}",
                    PlatformKind::Mastodon.default_limit(),
                    known.url_length,
                    settings.state_dir.join(crate::store::FILE_NAME).display()
                );
            }
            limits.insert(name.clone(), known);
        }
        Self {
            default: settings.default_accounts.clone(),
            platforms: settings
                .accounts
                .iter()
                .map(|(name, account)| (name.clone(), account.platform))
                .collect(),
            limits,
        }
    }

    fn of(&self, plan: &ChatPlan) -> Vec<String> {
        plan.accounts
            .as_deref()
            .map_or_else(|| self.default.clone(), <[String]>::to_vec)
    }

    /// How many of these accounts are on X (each is billed per post).
    fn x_accounts(&self, accounts: &[String]) -> u64 {
        let on_x = accounts
            .iter()
            .filter(|name| self.platforms.get(*name) == Some(&PlatformKind::X));
        on_x.count() as u64
    }

    /// The accounts with a length limit among these, each with its own
    /// limit and URL length. When they post only to the console, every
    /// network with its defaults and no account name, so a fresh clone shows
    /// how each post would count on X, Mastodon and Bluesky before any
    /// account is configured.
    fn limited(&self, accounts: &[String]) -> Vec<AccountLimit> {
        let found: Vec<_> = accounts
            .iter()
            .filter_map(|name| self.limits.get(name))
            .filter(|limit| limit.platform != PlatformKind::Console)
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        NETWORKS
            .into_iter()
            .map(|p| AccountLimit::with_defaults("", p))
            .collect()
    }

    /// The platforms with a length limit that these accounts post to.
    #[cfg(test)]
    fn limited_platforms(&self, accounts: &[String]) -> Vec<PlatformKind> {
        let mut platforms: Vec<PlatformKind> = self
            .limited(accounts)
            .into_iter()
            .map(|a| a.platform)
            .collect();
        platforms.sort();
        platforms.dedup();
        platforms
    }
}

/// One account's count of a post against its own limit.
#[derive(Debug, Serialize)]
struct AccountLength {
    account: String,
    platform: PlatformKind,
    length: usize,
    limit: usize,
    /// What this account posts, where the chat wrote its network a
    /// version of its own (`x: "…"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

/// One post in the plan, as printed.
#[derive(Debug, Serialize)]
struct PlannedPost {
    chat: String,
    kind: SlotKind,
    /// Question number; `null` for every other kind.
    n: Option<u32>,
    /// Question or announcement number (file order).
    seq: Option<u32>,
    /// RFC 3339 in UTC, `Z`.
    at: String,
    /// RFC 3339 with the chat zone's offset.
    local: String,
    zone: String,
    /// For the table: `Wed 2 Dec 12:05 CST`.
    #[serde(skip)]
    local_short: String,
    accounts: Vec<String>,
    text: String,
    /// The network's own version, for each network the chat wrote one for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    versions: BTreeMap<String, String>,
    /// The occurrence's key: the rule's local start (RFC 3339 without zone).
    occurrence: String,
    /// `{number}`: the session's running number, for a chat that counts
    /// its sessions (`from` set).
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<u32>,
    /// The session's topic, when prepared with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    /// As each platform counts it.
    length: BTreeMap<String, usize>,
    limit: BTreeMap<String, usize>,
    /// Platforms whose limit the text exceeds.
    over_limit: Vec<String>,
    /// Every account the post goes to, counted against its own limit.
    per_account: Vec<AccountLength>,
    /// The table's length columns: an account (`main_x (x)`), or a network
    /// when no account is configured; the count and the limit.
    #[serde(skip)]
    columns: Vec<(String, usize, usize)>,
    /// Estimated X API cost in US dollars over the chat's X accounts;
    /// absent when the post goes to no X account.
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    /// How many X accounts it goes to.
    #[serde(skip)]
    x_accounts: u64,
    /// A thank-you on X: the most its thread reads (the answers given by
    /// reply) cost, in US dollars over the chat's X accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_reads_usd_max: Option<f64>,
    /// The most posts those reads fetch, per X account.
    #[serde(skip)]
    thread_reads: u64,
}

/// Every post of every plan in the window, in order of time.
fn planned_posts(plans: &[ChatPlan], window: &Window, accounts: &Accounts) -> Vec<PlannedPost> {
    let mut posts: Vec<PlannedPost> = plans
        .iter()
        .flat_map(|plan| {
            let (from, until) = window.in_zone(&plan.tz);
            let chat_accounts = accounts.of(plan);
            let limited = accounts.limited(&chat_accounts);
            let on_x = accounts.x_accounts(&chat_accounts);
            expand(plan, from, until).into_iter().map(move |slot| {
                let reads = thread_reads(plan, &slot);
                PlannedPost {
                    x_accounts: on_x,
                    cost_usd: (on_x > 0).then(|| cost::to_usd(cost::post_cost(&slot.text) * on_x)),
                    thread_reads: reads,
                    thread_reads_usd_max: (on_x > 0 && reads > 0)
                        .then(|| cost::to_usd(reads * on_x * cost::price::POST_READ)),
                    ..planned_post(plan, slot, &chat_accounts, &limited)
                }
            })
        })
        .collect();
    posts.sort_by(|a, b| (&a.at, &a.chat, a.kind, a.seq).cmp(&(&b.at, &b.chat, b.kind, b.seq)));
    posts
}

/// The most posts a thank-you reads on each X account to find the answers
/// given in its questions' threads; 0 for other slots, or when it does not
/// search.
fn thread_reads(plan: &ChatPlan, slot: &Slot) -> u64 {
    if slot.kind != SlotKind::Thanks || !plan.thanks.as_ref().is_some_and(|t| t.search) {
        return 0;
    }
    let questions = plan
        .session(slot.occurrence)
        .and_then(|s| s.questions.as_deref())
        .unwrap_or(&plan.questions)
        .len() as u64;
    cost::thread_reads_max(questions, plan.thread)
}

fn planned_post(
    plan: &ChatPlan,
    slot: Slot,
    accounts: &[String],
    limited: &[AccountLimit],
) -> PlannedPost {
    let local = Zoned::new(slot.at, plan.tz.clone());
    let mut length = BTreeMap::new();
    let mut limit: BTreeMap<String, usize> = BTreeMap::new();
    let mut over_limit = Vec::new();
    let mut per_account = Vec::new();
    let mut columns = Vec::new();
    for account in limited {
        let (platform, max) = (account.platform, account.limit);
        let text = slot.text_for(platform);
        let counted = account.count(text);
        if counted > max && !over_limit.contains(&platform.to_string()) {
            over_limit.push(platform.to_string());
        }
        // Two accounts on one platform: the longer count (instances may
        // reserve more for a URL) and the stricter limit.
        let entry = length.entry(platform.to_string()).or_insert(counted);
        *entry = (*entry).max(counted);
        let entry = limit.entry(platform.to_string()).or_insert(max);
        *entry = (*entry).min(max);
        let column = if account.name.is_empty() {
            // A network no account posts to yet: measured, not listed.
            platform.to_string()
        } else {
            per_account.push(AccountLength {
                account: account.name.clone(),
                platform,
                length: counted,
                limit: max,
                text: (text != slot.text).then(|| text.to_string()),
            });
            format!("{} ({platform})", account.name)
        };
        columns.push((column, counted, max));
    }
    let numbered = plan.recurrence().is_some_and(|r| r.from.is_some()) || plan.season.is_some();
    let session = plan.session(slot.occurrence);
    PlannedPost {
        versions: slot
            .variants
            .iter()
            .map(|(p, t)| (p.to_string(), t.clone()))
            .collect(),
        occurrence: slot.occurrence.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
        number: numbered.then(|| plan.number(slot.occurrence)).flatten(),
        topic: session
            .and_then(|s| s.topic)
            .map(|t| plan.texts.get(t).to_string()),
        chat: slot.chat.to_string(),
        kind: slot.kind,
        n: slot.n.filter(|_| slot.kind == SlotKind::Question),
        seq: slot.n,
        at: slot.at.to_string(),
        local: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        zone: plan.zone_name().to_string(),
        local_short: format!(
            "{} {}",
            local.strftime(if local.second() == 0 {
                "%a %-d %b %H:%M"
            } else {
                "%a %-d %b %H:%M:%S"
            }),
            zone_label(&local)
        ),
        accounts: accounts.to_vec(),
        text: slot.text,
        length,
        limit,
        over_limit,
        per_account,
        columns,
        cost_usd: None,
        x_accounts: 0,
        thread_reads_usd_max: None,
        thread_reads: 0,
    }
}

/// Every occurrence in the window that is not held, and why, in words:
/// `hcsmbm Wed 16 Dec 12:00 CST: not held: no questions yet`.
fn not_held(plans: &[ChatPlan], window: &Window) -> Vec<String> {
    let mut found = Vec::new();
    for plan in plans.iter().filter(|p| p.season.is_some()) {
        let (from, until) = window.in_zone(&plan.tz);
        for occurrence in crate::schedule::every_occurrence(plan, from, until) {
            let Some(why) = crate::schedule::not_held_reason(plan, occurrence.key) else {
                continue;
            };
            let when = format!(
                "{} {}",
                occurrence.start.strftime("%a %-d %b %H:%M"),
                zone_label(&occurrence.start)
            );
            found.push((
                occurrence.start.timestamp(),
                format!("{} {when}: {why}", plan.id),
            ));
        }
    }
    found.sort();
    found.into_iter().map(|(_, line)| line).collect()
}

/// Warns on stderr about every post to X that contains a link (X bills it
/// at the link price) and adds up the estimate; `None` when nothing in the
/// window goes to X.
fn warn_about_links(posts: &[PlannedPost]) -> Option<cost::Estimate> {
    let mut estimate = cost::Estimate::default();
    for post in posts.iter().filter(|p| p.x_accounts > 0) {
        estimate.add(&post.text, post.x_accounts);
        estimate.add_reads(post.thread_reads, post.x_accounts);
        let urls = cost::urls(&post.text);
        if let Some(first) = urls.first() {
            let what = match post.seq {
                Some(n) => format!("{} {n}", post.kind),
                None => post.kind.to_string(),
            };
            eprintln!(
                "warning: {} {what} at {} contains a link ({first}): X bills it at {} instead of \
                 {} per X account; drop the link or accept the cost",
                post.chat,
                post.at,
                cost::format_usd(cost::price::POST_WITH_URL),
                cost::format_usd(cost::price::POST),
            );
        }
    }
    (estimate.posts > 0).then_some(estimate)
}

/// The terminal table: one line of facts per post, its text wrapped below.
fn write_table(out: &mut impl Write, posts: &[PlannedPost]) -> std::io::Result<()> {
    if posts.is_empty() {
        return writeln!(out, "no posts in this window");
    }
    let columns = length_columns(posts);
    let rows: Vec<Vec<String>> = posts.iter().map(|p| table_row(p, &columns)).collect();
    let mut header: Vec<String> = ["AT (UTC)", "LOCAL", "CHAT", "POST", "ACCOUNTS"]
        .map(String::from)
        .to_vec();
    header.extend(columns.iter().cloned());
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_row(out, &header, &widths)?;
    for (row, post) in rows.iter().zip(posts) {
        write_row(out, row, &widths)?;
        let text = if post.kind == SlotKind::Thanks {
            fill_mentions(&post.text, SAMPLE_MENTIONS)
        } else {
            post.text.clone()
        };
        for line in wrap(&text, TEXT_WIDTH) {
            writeln!(out, "    {line}")?;
        }
        for (network, version) in &post.versions {
            let version = if post.kind == SlotKind::Thanks {
                fill_mentions(version, SAMPLE_MENTIONS)
            } else {
                version.clone()
            };
            writeln!(out, "    on {network}:")?;
            for line in wrap(&version, TEXT_WIDTH - 2) {
                writeln!(out, "      {line}")?;
            }
        }
        if post.kind == SlotKind::Thanks && text != post.text {
            writeln!(
                out,
                "    ({SAMPLE_MENTIONS} stands for the participants found after the chat; a long list continues in replies)"
            )?;
        }
    }
    Ok(())
}

/// One length column per account the window's posts go to (and per network
/// for posts that go to no configured account), in order of appearance.
fn length_columns(posts: &[PlannedPost]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for (column, _, _) in posts.iter().flat_map(|p| &p.columns) {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    columns
}

fn write_row(out: &mut impl Write, cells: &[String], widths: &[usize]) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i + 1 == cells.len() {
            line.push_str(cell);
        } else {
            let pad = width - cell.chars().count();
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', pad + 2));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// The facts of one post, then its length in each of `columns` as
/// `LENGTH/LIMIT` (flagged when over), or `-` where it does not go.
fn table_row(post: &PlannedPost, columns: &[String]) -> Vec<String> {
    let at = post.at.replacen('T', " ", 1);
    let at = at.strip_suffix(":00Z").map_or(at.clone(), str::to_string);
    let what = match post.seq {
        Some(n) => format!("{} {n}", post.kind),
        None => post.kind.to_string(),
    };
    let mut row = vec![
        at,
        post.local_short.clone(),
        post.chat.clone(),
        what,
        post.accounts.join(", "),
    ];
    row.extend(columns.iter().map(
        |column| match post.columns.iter().find(|(c, _, _)| c == column) {
            Some((_, n, max)) => {
                let flag = if n > max { " TOO LONG" } else { "" };
                format!("{n}/{max}{flag}")
            }
            None => "-".to_string(),
        },
    ));
    row
}

/// Greedy word wrap by characters; keeps the text's own line breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let needed = line.chars().count() + 1 + word.chars().count();
            if !line.is_empty() && needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schedule::fixtures;

    #[test]
    fn wraps_on_words_and_keeps_line_breaks() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("one\ntwo three", 20), ["one", "two three"]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("ééé ééé", 7), ["ééé ééé"]);
    }

    #[test]
    fn window_bounds_are_checked() {
        let err = parse_window(Some("next week"), None).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "--from: expected an RFC 3339 instant like 2027-01-13T18:00:00Z or a date like 2027-01-13, found `next week`"
        );
        let window = parse_window(Some("2026-12-01"), Some("2026-12-02T00:00:00Z")).unwrap();
        assert_eq!(window.from, Bound::Date("2026-12-01".parse().unwrap()));
        assert!(parse_window(None, None).unwrap().until.is_none());
    }

    #[test]
    fn builtin_default_accounts_go_to_the_console() {
        let accounts = Accounts::new(&Settings::builtin());
        assert_eq!(accounts.default, ["console"]);
        // Before any account is configured, every network is measured.
        assert_eq!(
            accounts.limited_platforms(&accounts.default),
            [
                PlatformKind::X,
                PlatformKind::Mastodon,
                PlatformKind::Bluesky
            ]
        );
    }

    fn hcsmbm_posts(from: &str, until: &str) -> Vec<serde_json::Value> {
        let window = parse_window(Some(from), Some(until)).unwrap();
        let posts = planned_posts(
            &[fixtures::hcsmbm()],
            &window,
            &Accounts::new(&Settings::builtin()),
        );
        posts
            .iter()
            .map(|p| serde_json::to_value(p).unwrap())
            .collect()
    }

    #[test]
    fn json_items_of_a_december_occurrence() {
        let posts = hcsmbm_posts("2026-12-01", "2026-12-03");
        assert_eq!(posts.len(), 9);
        assert_eq!(
            posts[3],
            json!({
                "chat": "hcsmbm",
                "kind": "question",
                "n": 1,
                "seq": 1,
                "occurrence": "2026-12-02T12:00:00",
                "at": "2026-12-02T18:05:00Z",
                "local": "2026-12-02T12:05:00-06:00",
                "zone": "America/Chicago",
                "accounts": ["console"],
                "text": format!("Q1. {} #hcsmbm", fixtures::HCSMBM_QUESTIONS[0]),
                "length": {"bluesky": 98, "mastodon": 98, "x": 98},
                "limit": {"bluesky": 300, "mastodon": 500, "x": 280},
                "over_limit": [],
                "per_account": [],
            })
        );
        // Announcements carry their index in `seq` only.
        assert_eq!(
            (&posts[0]["n"], &posts[0]["seq"]),
            (&json!(null), &json!(1))
        );
        assert_eq!(posts[0]["at"], "2026-12-01T18:00:00Z");
        assert_eq!(posts[8]["kind"], "thanks");
    }

    #[test]
    fn a_may_occurrence_is_in_summer_time() {
        let posts = hcsmbm_posts("2026-05-12", "2026-05-14");
        assert_eq!(posts[3]["at"], "2026-05-13T17:05:00Z");
        assert_eq!(posts[3]["local"], "2026-05-13T12:05:00-05:00");
        let announce = posts[0]["text"].as_str().unwrap();
        assert!(
            announce.contains("12:00 CDT Wed 13 May — 11:00 MDT, 18:00 BST"),
            "{announce}"
        );
    }

    #[test]
    fn table_prints_a_header_a_row_and_the_wrapped_text() {
        let window =
            parse_window(Some("2026-12-02T18:05:00Z"), Some("2026-12-02T18:06:00Z")).unwrap();
        let posts = planned_posts(
            &[fixtures::hcsmbm()],
            &window,
            &Accounts::new(&Settings::builtin()),
        );
        let mut out = Vec::new();
        write_table(&mut out, &posts).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "AT (UTC)          LOCAL                CHAT    POST        ACCOUNTS  x       mastodon  bluesky\n\
             2026-12-02 18:05  Wed 2 Dec 12:05 CST  hcsmbm  question 1  console   98/280  98/500    98/300\n\
             \x20   Q1. Everyone's needs are different. What are the keys to identifying each\n\
             \x20   patient's needs? #hcsmbm\n"
        );
    }

    /// Accounts configured: one column per account, each against its own
    /// limit, a Mastodon instance's remembered limit and URL length
    /// included; a chat that posts only to the console still shows the
    /// networks.
    #[test]
    fn the_table_has_a_column_per_account_with_its_own_limit() {
        let dir = tempfile::tempdir().unwrap();
        let limits = crate::daemon::accounts::StateLimits::open(dir.path()).unwrap();
        use crate::platform::mastodon::LimitStore;
        let remembered = crate::platform::mastodon::InstanceLimits {
            max_characters: 1000,
            characters_reserved_per_url: 40,
            ..Default::default()
        };
        limits.save("big_masto", remembered).unwrap();
        let mut accounts = Accounts::new(&Settings::builtin());
        for (name, platform) in [
            ("main_x", PlatformKind::X),
            ("small_masto", PlatformKind::Mastodon),
            ("big_masto", PlatformKind::Mastodon),
            ("sky", PlatformKind::Bluesky),
        ] {
            accounts.platforms.insert(name.into(), platform);
            accounts
                .limits
                .insert(name.into(), account_limit(dir.path(), name, platform));
        }
        let mut plan = fixtures::hcsmbm();
        plan.accounts = Some(
            ["main_x", "small_masto", "big_masto", "sky"]
                .map(String::from)
                .into(),
        );
        let mut linked = plan.clone();
        linked.id = "linked".into();
        linked.accounts = Some(Box::new(["console".into()]));
        let window =
            parse_window(Some("2026-12-02T18:05:00Z"), Some("2026-12-02T18:06:00Z")).unwrap();
        let posts = planned_posts(&[plan, linked], &window, &accounts);
        assert_eq!(posts.len(), 2);
        let mut out = Vec::new();
        write_table(&mut out, &posts).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        let header: Vec<&str> = lines[0]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            header,
            [
                "AT (UTC)",
                "LOCAL",
                "CHAT",
                "POST",
                "ACCOUNTS",
                "main_x (x)",
                "small_masto (mastodon)",
                "big_masto (mastodon)",
                "sky (bluesky)",
                "x",
                "mastodon",
                "bluesky"
            ],
            "{out}"
        );
        let row = lines
            .iter()
            .find(|l| l.contains("hcsmbm  question 1"))
            .unwrap();
        assert_eq!(
            row.split_whitespace().rev().take(7).collect::<Vec<_>>(),
            ["-", "-", "-", "98/300", "98/1000", "98/500", "98/280"],
            "{out}"
        );
        let console_row = lines.iter().find(|l| l.contains("linked")).unwrap();
        assert_eq!(
            console_row
                .split_whitespace()
                .rev()
                .take(7)
                .collect::<Vec<_>>(),
            ["98/300", "98/500", "98/280", "-", "-", "-", "-"],
            "{out}"
        );
        // The instance's URL length counts: every URL is 40 there.
        let question = &posts[0];
        assert_eq!(question.per_account.len(), 4);
        let with_link = AccountLimit {
            url_length: 40,
            ..AccountLimit::with_defaults("big_masto", PlatformKind::Mastodon)
        };
        assert_eq!(with_link.count("see https://example.org/x"), 4 + 40);
        assert_eq!(
            accounts.limits["big_masto"],
            AccountLimit {
                limit: 1000,
                url_length: 40,
                ..with_link.clone()
            }
        );
        assert_eq!(accounts.limits["small_masto"].url_length, 23);
    }

    #[test]
    fn table_row_flags_over_limit() {
        let post = PlannedPost {
            chat: "hcsmbm".into(),
            kind: SlotKind::Question,
            n: Some(2),
            seq: Some(2),
            at: "2026-12-02T18:15:00Z".into(),
            local: "2026-12-02T12:15:00-06:00".into(),
            zone: "America/Chicago".into(),
            local_short: "Wed 2 Dec 12:15 CST".into(),
            accounts: vec!["main_x".into(), "masto".into()],
            text: "Q2.".into(),
            versions: BTreeMap::new(),
            occurrence: "2026-12-02T12:00:00".into(),
            number: None,
            topic: None,
            length: BTreeMap::from([("mastodon".into(), 300), ("x".into(), 300)]),
            limit: BTreeMap::from([("mastodon".into(), 500), ("x".into(), 280)]),
            over_limit: vec!["x".into()],
            per_account: Vec::new(),
            columns: vec![
                ("main_x (x)".into(), 300, 280),
                ("masto (mastodon)".into(), 300, 500),
            ],
            cost_usd: Some(0.015),
            x_accounts: 1,
            thread_reads_usd_max: None,
            thread_reads: 0,
        };
        let columns = ["main_x (x)", "masto (mastodon)", "other (bluesky)"].map(String::from);
        assert_eq!(
            table_row(&post, &columns),
            [
                "2026-12-02 18:15",
                "Wed 2 Dec 12:15 CST",
                "hcsmbm",
                "question 2",
                "main_x, masto",
                "300/280 TOO LONG",
                "300/500",
                "-",
            ]
        );
    }
}
