//! `DATE.md`: the transcript as Markdown people can read raw or rendered.
//!
//! A heading per question with its answers quoted under it, then the rest of
//! the conversation, the summary first and the participants last. A chat on
//! several networks names the network of every post and links the host's
//! question on each. Every piece
//! of user text goes through [`super::escape::markdown`], every link through
//! [`super::escape::safe_url`].

use std::fmt::Write;

use super::escape::{markdown as md, safe_url};
use super::local::{LocalTimes, counted};
use super::model::{Author, Entry, QuestionSection, Transcript, network_name};
use crate::schedule::expand::join_hosts;

/// Renders the whole transcript.
pub fn render(t: &Transcript) -> String {
    let local = LocalTimes::new(&t.timezone);
    let several = t.networks().len() > 1;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", md(&t.title));
    let _ = writeln!(
        out,
        "{} · {} · {}\n",
        md(&t.hashtag),
        local.day(t.starts),
        local.span(t.starts, t.ends)
    );
    if let Some(topic) = &t.topic {
        let _ = writeln!(out, "**Topic:** {}\n", md(topic));
    }
    if !t.hosts.is_empty() {
        let hosts = join_hosts(t.hosts.iter().map(String::as_str));
        let _ = writeln!(out, "**Hosted by** {}\n", md(&hosts));
    }
    summary(&mut out, t);
    for q in &t.questions {
        let _ = writeln!(out, "## Q{}. {}\n", q.n, md(&q.text));
        let when = asked(q, &local, several);
        let answers = counted(q.answers.len(), "answer");
        let _ = writeln!(out, "Asked at {when} · {answers}\n");
        for e in &q.answers {
            entry(&mut out, e, &local, several);
        }
    }
    if !t.conversation.is_empty() {
        out.push_str("## Conversation\n\n");
        for e in &t.conversation {
            entry(&mut out, e, &local, several);
        }
    }
    participants(&mut out, t);
    out
}

fn summary(out: &mut String, t: &Transcript) {
    let s = &t.summary;
    out.push_str("## Summary\n\n");
    let _ = writeln!(out, "- Participants: {}", s.participants);
    let _ = writeln!(out, "- Posts: {}", s.posts);
    let per: Vec<String> = s
        .per_question
        .iter()
        .map(|q| format!("Q{} {}", q.n, q.answers))
        .collect();
    if !per.is_empty() {
        let _ = writeln!(out, "- Answers per question: {}", per.join(" · "));
    }
    let top: Vec<String> = s
        .top_contributors
        .iter()
        .map(|c| format!("{} ({})", handle_link(&c.username, None), c.posts))
        .collect();
    if !top.is_empty() {
        let _ = writeln!(out, "- Top contributors: {}", top.join(", "));
    }
    for u in &t.unread_threads {
        let _ = writeln!(
            out,
            "- Replies to Q{} on {} not all read ({}): answers given there only by reply may be missing",
            u.n,
            network_name(u.network),
            md(&u.reason)
        );
    }
    out.push('\n');
}

/// `[12:05](url)`, or with several networks `12:05 on [X](url), [Mastodon](url)`.
fn asked(q: &QuestionSection, local: &LocalTimes, several: bool) -> String {
    if !several {
        return link(&local.time(q.at), q.url.as_deref());
    }
    let on: Vec<String> = q
        .links
        .iter()
        .map(|l| link(network_name(l.network), Some(&l.url)))
        .collect();
    if on.is_empty() {
        md(&local.time(q.at))
    } else {
        format!("{} on {}", md(&local.time(q.at)), on.join(", "))
    }
}

fn entry(out: &mut String, e: &Entry, local: &LocalTimes, several: bool) {
    let network = if several {
        format!(" · {}", network_name(e.network))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "> {} · {}{network}  ",
        byline(&e.author),
        link(&local.time(e.at), e.url.as_deref())
    );
    for line in e.text.lines() {
        let line = md(line.trim_end());
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            let _ = writeln!(out, "> {line}  ");
        }
    }
    out.push('\n');
}

fn participants(out: &mut String, t: &Transcript) {
    if t.participants.is_empty() {
        return;
    }
    out.push_str("## Participants\n\n");
    for (i, p) in t.participants.iter().enumerate() {
        let answered: Vec<String> = p.answered.iter().map(|n| format!("Q{n}")).collect();
        let name = p
            .name
            .as_deref()
            .map(|n| format!(" {}", md(n)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "{}. {}{name} · {}",
            i + 1,
            handle_link(&p.username, None),
            counted(p.posts, "post")
        );
        if !answered.is_empty() {
            let _ = write!(out, " · answered {}", answered.join(", "));
        }
        out.push('\n');
    }
}

/// `**Name** [@handle](profile)`.
fn byline(author: &Author) -> String {
    let handle = handle_link(&author.username, author.url.as_deref());
    match author.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => format!("**{}** {handle}", md(name.trim())),
        None => handle,
    }
}

fn handle_link(username: &str, url: Option<&str>) -> String {
    link(&format!("@{username}"), url)
}

/// `[text](url)`, or the text alone when there is no safe link.
fn link(text: &str, url: Option<&str>) -> String {
    match url.and_then(safe_url) {
        Some(url) => format!("[{}]({url})", md(text)),
        None => md(text),
    }
}
