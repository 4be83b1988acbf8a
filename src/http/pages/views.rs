//! The pages' HTML, through `maud`: every value is escaped by construction,
//! so a title like `<script>` is text on the page, never markup.
//!
//! Each page is self-contained (the transcript pages' stylesheet plus a few
//! rules, and one small inline script; nothing from anywhere else) and reads
//! on a phone. Every instant is a `<time datetime>` in UTC with the chat
//! zone's time beside it, rendered on the server; the script rewrites the
//! UTC text into the viewer's own zone with `Intl`, and without scripts the
//! UTC text stays.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::model::{ChatSummary, ChatView, Problem, ResultState, ResultsView};
use super::sessions::{OccurrencePage, OccurrenceView, Standing};
use crate::schedule::times::zone_label;

const TRANSCRIPT_CSS: &str = include_str!("../../transcript/transcript.css");
const PAGES_CSS: &str = include_str!("pages.css");
/// Rewrites every `<time datetime>` into the viewer's zone.
pub const SCRIPT: &str = include_str!("local-times.js");

/// The frame every page shares.
fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(TRANSCRIPT_CSS)) (PreEscaped(PAGES_CSS)) }
            }
            body {
                main {
                    (body)
                    footer {
                        p.viewer-zone { "Times in UTC; turn on scripts to see them in your own time zone." }
                        "Served by tweetchat."
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

/// An instant: UTC (rewritten to the viewer's zone by the script) and the
/// chat zone's wall clock beside it.
fn moment(at: Timestamp, tz: &TimeZone, zone_name: &str) -> Markup {
    let utc = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let shown = at.strftime("%a %-d %b %Y, %H:%M UTC").to_string();
    let local = at.to_zoned(tz.clone());
    let chat = format!(
        "{} {} ({zone_name})",
        local.strftime("%a %-d %b %H:%M"),
        zone_label(&local)
    );
    html! {
        span.moment {
            time datetime=(utc) { (shown) }
            " "
            span.chat-zone { (chat) }
        }
    }
}

pub fn home(chats: &[ChatSummary]) -> Markup {
    let body = html! {
        header {
            p.tag { "tweetchat" }
            h1 { "Tweet chats" }
            p.when { "Every chat this server hosts, soonest first." }
        }
        @if chats.is_empty() {
            section { p.empty { "No chats are loaded." } }
        }
        @for chat in chats {
            section.chat {
                p.tag { (chat.hashtag) }
                h2 { a href=(format!("/chats/{}", chat.id)) { (chat.title) } }
                p.meta {
                    @match chat.next {
                        Some(next) => { "Next: " (moment(next, &chat.tz, &chat.zone_name)) }
                        None => { "No upcoming occurrence." }
                    }
                }
                p.meta { (chat.rhythm) " · " a href=(format!("/chats/{}.ics", chat.id)) { "calendar (.ics)" } }
            }
        }
    };
    page("Tweet chats", body)
}

pub fn chat(view: &ChatView) -> Markup {
    let chat = &view.summary;
    let body = html! {
        header {
            p.tag { (chat.hashtag) }
            h1 { (chat.title) }
            p.when { (chat.rhythm) }
            p.links {
                a.button href=(format!("/chats/{}.ics", chat.id)) { "Add to your calendar (.ics)" }
            }
        }
        section.upcoming {
            h2 { "Upcoming" }
            @if view.upcoming.is_empty() { p.empty { "No upcoming occurrence." } }
            ol.occurrences {
                @for occurrence in &view.upcoming {
                    li class=[occurrence.standing.class()] {
                        (listed(occurrence, chat, view.season))
                    }
                }
            }
        }
        @if let Some(next) = chat.next {
            section.slots {
                h2 { "Every post of the next one" }
                p.meta { "Starts " (moment(next, &chat.tz, &chat.zone_name)) }
                ol.slot-list {
                    @for slot in &view.next_slots {
                        li.slot {
                            div.slot-head {
                                span.kind { (slot.label) }
                                (moment(slot.at, &chat.tz, &chat.zone_name))
                            }
                            p.text { (slot.text) }
                            p.accounts { (slot.posted_to) }
                        }
                    }
                }
            }
        }
        section.past {
            h2 { "Past" }
            @if view.past.is_empty() { p.empty { "None yet." } }
            ul.occurrences {
                @for past in &view.past {
                    li {
                        (moment(past.at, &chat.tz, &chat.zone_name))
                        " "
                        @if let Some(topic) = &past.topic { a.topic href=(past.page) { (topic) } " · " }
                        @match &past.transcript {
                            Some(href) => a href=(href) { "transcript" },
                            None => span.empty { "no transcript" },
                        }
                    }
                }
            }
        }
    };
    page(&format!("{} {}", chat.hashtag, chat.title), body)
}

/// An occurrence in the chat page's list: when, its standing, its topic
/// and host, and (in a season) its questions; the whole of it on its page.
fn listed(occurrence: &OccurrenceView, chat: &ChatSummary, season: bool) -> Markup {
    html! {
        (moment(occurrence.at, &chat.tz, &chat.zone_name))
        @if let Some(n) = occurrence.number { " " span.number { "Session " (n) } }
        " " (standing(&occurrence.standing))
        " " a.details href=(occurrence.page) { "details" }
        @if let Some(topic) = &occurrence.topic { p.topic { (topic) } }
        @if let Some(host) = &occurrence.host { p.host { "Hosted by " (host) } }
        @if season && !occurrence.questions.is_empty() {
            ol.questions {
                @for question in &occurrence.questions { li { (question.text) } }
            }
        }
    }
}

/// A badge for anything but a plain held occurrence.
fn standing(standing: &Standing) -> Markup {
    html! {
        @match standing {
            Standing::Held => {},
            Standing::Moved { from } => {
                span.badge.moved { "Moved" } " " span.reason { "(from " (from) ")" }
            }
            Standing::Cancelled { reason } => {
                span.badge.cancelled { "Cancelled" }
                @if let Some(reason) = reason { " " span.reason { (reason) } }
            }
            Standing::NotPrepared => span.badge.unprepared { "Questions not prepared yet" },
        }
    }
}

/// `/chats/CHAT/DATE`: one occurrence, what `{page}` links to.
pub fn occurrence(view: &OccurrencePage) -> Markup {
    let chat = &view.summary;
    let occurrence = &view.occurrence;
    let heading = match &occurrence.topic {
        Some(topic) => topic.clone(),
        None => chat.title.clone(),
    };
    let state = match (&occurrence.standing, occurrence.past) {
        (Standing::Held | Standing::Moved { .. }, true) => "Took place",
        (Standing::Held, false) => "Scheduled",
        (Standing::Moved { .. }, false) => "Moved",
        (Standing::Cancelled { .. }, _) => "Cancelled: not held",
        (Standing::NotPrepared, true) => "Not held: no questions were prepared",
        (Standing::NotPrepared, false) => "Questions not prepared yet: not held unless they are",
    };
    let body = html! {
        header {
            p.tag { (chat.hashtag) " · " a href=(format!("/chats/{}", chat.id)) { (chat.title) } }
            h1 { (heading) }
            p.when { (moment(occurrence.at, &chat.tz, &chat.zone_name)) }
            p.links {
                a.button href=(format!("/chats/{}.ics", chat.id)) { "Add to your calendar (.ics)" }
            }
        }
        section.occurrence {
            h2 { "Status" }
            p.status { span class=(format!("badge {}", occurrence.standing.class().unwrap_or("held"))) { (state) } }
            @match &occurrence.standing {
                Standing::Moved { from } => p.meta { "Moved from " (from) "." },
                Standing::Cancelled { reason: Some(reason) } => p.meta { "Reason: " (reason) },
                _ => {},
            }
            @if let Some(n) = occurrence.number { p.meta { "Session " (n) " of " (chat.title) } }
            @if let Some(topic) = &occurrence.topic { p.topic { "Topic: " (topic) } }
            @if let Some(host) = &occurrence.host { p.host { "Hosted by " (host) } }
            @if let Some(href) = &view.transcript { p { a href=(href) { "Read the transcript" } } }
        }
        @if !occurrence.questions.is_empty() {
            section.slots {
                h2 { "Questions" }
                ol.slot-list {
                    @for question in &occurrence.questions {
                        li.slot {
                            div.slot-head {
                                span.kind { (question.label) }
                                (moment(question.at, &chat.tz, &chat.zone_name))
                            }
                            p.text { (question.text) }
                        }
                    }
                }
            }
        }
        section { p { a href=(format!("/chats/{}", chat.id)) { "Every occurrence of " (chat.title) } } }
    };
    page(&format!("{} {}: {heading}", chat.hashtag, chat.title), body)
}

pub fn results(view: &ResultsView, accounts: &[AccountRow]) -> Markup {
    let chat = &view.summary;
    let body = html! {
        header {
            p.tag { (chat.hashtag) " · operator" }
            h1 { "What happened: " (chat.title) }
            p.when { "Each post of the last " (view.days) " days, per account. " a href=(format!("/chats/{}", chat.id)) { "Public page" } " · " a href="/operator" { "Every account" } }
            @if let Some(replica) = &view.replica { p.when { "Served by replica " code { (replica) } "." } }
        }
        (account_table(accounts, &chat.tz, &chat.zone_name))
        @for (account, problems) in &view.kept_out {
            section.kept-out {
                h2 { "Not posted on " (account) }
                p { "A post of this chat does not fit account " code { (account) } ", so none of the chat's posts go out there until the file is fixed (" code { "tweetchat check" } " says the same):" }
                ul { @for problem in problems { li { code { (problem) } } } }
            }
        }
        @if view.occurrences.is_empty() { section { p.empty { "No occurrence in this span." } } }
        @for occurrence in &view.occurrences {
            section.results {
                h2 { (moment(occurrence.start, &chat.tz, &chat.zone_name)) }
                table {
                    thead { tr { th { "Post" } th { "Due" } th { "Account" } th { "Result" } } }
                    tbody {
                        @for row in &occurrence.rows {
                            tr class=(row.state.class()) {
                                td { (row.label) }
                                td { (moment(row.due, &chat.tz, &chat.zone_name)) }
                                td { (row.account) }
                                td {
                                    span.state { (row.state.word()) }
                                    @if let Some(link) = &row.link { " " a href=(link) rel="noreferrer" { "the post" } }
                                    @if let Some(reason) = &row.reason { " " span.reason { (reason) } }
                                    @if row.attempts > 1 { " " span.reason { "(" (row.attempts) " attempts)" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if view.truncated {
            section { p.empty { "More rows exist than this page shows; ask for fewer days." } }
        }
    };
    page(&format!("What happened: {}", chat.title), body)
}

/// One account as the operator sees it ([`crate::http::metrics::AccountHealth`]).
pub struct AccountRow {
    pub name: String,
    pub platform: String,
    /// `None`: not checked or tried yet.
    pub health: Option<crate::http::metrics::AccountHealth>,
}

/// Each account: up or down, the last check, why it is down.
fn account_table(accounts: &[AccountRow], tz: &TimeZone, zone_name: &str) -> Markup {
    html! {
        @if !accounts.is_empty() {
            section.results.account-status {
                h2 { "Accounts" }
                p.reason { "Checked at start, a day and an hour before each chat, and with every post." }
                table {
                    thead { tr { th { "Account" } th { "State" } th { "Last check" } th { "Details" } } }
                    tbody {
                        @for row in accounts {
                            @let (class, word) = match &row.health {
                                None => ("quiet", "not checked yet"),
                                Some(h) if h.up => ("ok", "up"),
                                Some(_) => ("bad", "down"),
                            };
                            tr class=(class) {
                                td { (row.name) " " span.reason { "(" (row.platform) ")" } }
                                td { span.state { (word) } }
                                td {
                                    @match row.health.as_ref().and_then(|h| h.checked_at) {
                                        Some(at) => (moment(at, tz, zone_name)),
                                        None => span.reason { "none yet" },
                                    }
                                }
                                td {
                                    @if let Some(h) = &row.health {
                                        @if let Some(reason) = &h.reason { span.reason { (reason) } }
                                        @else if let Some(who) = &h.posts_as { "posts as " (who) }
                                        @if let Some(quota) = &h.quota { " " span.reason { "(" (quota) ")" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `/operator`: every account, and each chat's results page.
pub fn operator(accounts: &[AccountRow], chats: &[(String, String)]) -> Markup {
    let body = html! {
        header {
            p.tag { "operator" }
            h1 { "Accounts and chats" }
            p.when { "What needs a person: an account that is down, a post that failed." }
        }
        @if accounts.is_empty() { section { p.empty { "No account is configured." } } }
        (account_table(accounts, &TimeZone::UTC, "UTC"))
        section {
            h2 { "What happened, per chat" }
            ul.occurrences {
                @for (id, title) in chats {
                    li { a href=(format!("/operator/chats/{id}")) { (title) } }
                }
            }
        }
    };
    page("Operator: accounts and chats", body)
}

pub fn problem(problem: &Problem) -> Markup {
    let body = html! {
        header {
            p.tag { (problem.status.as_u16()) }
            h1 { (problem.title) }
            p.when { (problem.detail) }
        }
        section { p { a href="/" { "Every chat" } } }
    };
    page(&problem.title, body)
}

impl Standing {
    /// The list item's class; `None` for a plain held occurrence.
    fn class(&self) -> Option<&'static str> {
        match self {
            Standing::Held => None,
            Standing::Moved { .. } => Some("moved"),
            Standing::Cancelled { .. } => Some("cancelled"),
            Standing::NotPrepared => Some("unprepared"),
        }
    }
}

impl ResultState {
    fn word(self) -> &'static str {
        match self {
            ResultState::Posted => "posted",
            ResultState::Skipped => "skipped",
            ResultState::Failed => "failed",
            ResultState::InDoubt => "in doubt",
            ResultState::Claimed => "posting",
            ResultState::Missing => "no record",
            ResultState::Upcoming => "not due yet",
        }
    }

    fn class(self) -> &'static str {
        match self {
            ResultState::Posted => "ok",
            ResultState::Skipped | ResultState::Missing => "warn",
            ResultState::Failed | ResultState::InDoubt => "bad",
            ResultState::Claimed | ResultState::Upcoming => "quiet",
        }
    }
}
