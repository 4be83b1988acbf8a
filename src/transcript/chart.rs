//! The inline SVG chart of posts per minute, questions marked.
//!
//! One bar per minute that had posts (a `rect class="bar"`, its count in a
//! `<title>` tooltip), one dashed line labelled `Qn` per question
//! (`g class="q-marker"`, the label links to the question), the scheduled
//! chat span shaded and the time axis in the chat's zone. Plain SVG so the page needs no script and prints.

use std::fmt::Write;

use jiff::{SignedDuration, Timestamp};

use super::escape::html;
use super::local::LocalTimes;
use super::model::Transcript;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 32.0;
const BOTTOM: f64 = 30.0;

/// Posts per minute: the first minute shown and one count per minute, from
/// the earlier of the start and the first post to the later of the end and
/// the last post.
pub fn posts_per_minute(t: &Transcript) -> (Timestamp, Vec<usize>) {
    let first = t.entries().map(|e| e.at).min().unwrap_or(t.starts);
    let last = t.entries().map(|e| e.at).max().unwrap_or(t.ends);
    let from = floor_minute(first.min(t.starts));
    let until = last.max(t.ends);
    let minutes = usize::try_from((until.as_second() - from.as_second()) / 60)
        .unwrap_or(0)
        .max(1);
    let mut counts = vec![0; minutes + 1];
    for e in t.entries() {
        if let Ok(i) = usize::try_from((e.at.as_second() - from.as_second()) / 60) {
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
    }
    (from, counts)
}

fn floor_minute(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second().div_euclid(60) * 60).unwrap_or(at)
}

/// The `<svg>` element.
pub fn svg(t: &Transcript, local: &LocalTimes) -> String {
    let (from, counts) = posts_per_minute(t);
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let plot = Plot {
        from,
        minutes: counts.len() as f64,
        max: max as f64,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="Posts per minute" xmlns="http://www.w3.org/2000/svg">"#
    );
    let (x0, x1) = (plot.x(t.starts), plot.x(t.ends));
    let _ = write!(
        out,
        r#"<rect class="span" x="{x0:.1}" y="{TOP}" width="{:.1}" height="{:.1}"/>"#,
        (x1 - x0).max(0.0),
        HEIGHT - TOP - BOTTOM
    );
    grid(&mut out, &plot, max);
    axis(&mut out, &plot, local);
    bars(&mut out, &plot, &counts, local);
    for q in &t.questions {
        let x = plot.x(q.at);
        let _ = write!(
            out,
            r##"<g class="q-marker"><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><a href="#q{n}"><text x="{x:.1}" y="{:.1}">Q{n}</text></a><title>Q{n} at {} — {}</title></g>"##,
            TOP - 6.0,
            HEIGHT - BOTTOM,
            TOP - 10.0,
            local.time(q.at),
            html(&q.text),
            n = q.n
        );
    }
    out.push_str("</svg>");
    out
}

struct Plot {
    from: Timestamp,
    minutes: f64,
    max: f64,
}

impl Plot {
    fn slot(&self) -> f64 {
        (WIDTH - LEFT - RIGHT) / self.minutes
    }

    fn x(&self, at: Timestamp) -> f64 {
        let minutes = (at.as_second() - self.from.as_second()) as f64 / 60.0;
        (LEFT + minutes * self.slot()).clamp(LEFT, WIDTH - RIGHT)
    }

    fn y(&self, count: f64) -> f64 {
        HEIGHT - BOTTOM - count / self.max * (HEIGHT - TOP - BOTTOM)
    }
}

fn grid(out: &mut String, plot: &Plot, max: usize) {
    let step = (max as f64 / 4.0).ceil().max(1.0) as usize;
    for value in (0..=max).step_by(step) {
        let y = plot.y(value as f64);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}">{value}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
}

fn axis(out: &mut String, plot: &Plot, local: &LocalTimes) {
    let every = match plot.minutes as i64 {
        ..=30 => 5,
        31..=90 => 10,
        91..=240 => 30,
        _ => 60,
    };
    let mut at = plot.from;
    while plot.x(at) < WIDTH - RIGHT {
        let minute = at.as_second().div_euclid(60);
        if minute % every == 0 {
            let _ = write!(
                out,
                r#"<text class="tick time" x="{:.1}" y="{:.1}">{}</text>"#,
                plot.x(at),
                HEIGHT - BOTTOM + 18.0,
                local.time(at)
            );
        }
        at = match at.checked_add(SignedDuration::from_mins(1)) {
            Ok(next) => next,
            Err(_) => break,
        };
    }
}

fn bars(out: &mut String, plot: &Plot, counts: &[usize], local: &LocalTimes) {
    let width = (plot.slot() - 1.0).max(0.5);
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let at = plot
            .from
            .checked_add(SignedDuration::from_mins(i as i64))
            .unwrap_or(plot.from);
        let y = plot.y(count as f64);
        let noun = if count == 1 { "post" } else { "posts" };
        let _ = write!(
            out,
            r#"<rect class="bar" x="{:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}" rx="1.5"><title>{} · {count} {noun}</title></rect>"#,
            plot.x(at) + 0.5,
            HEIGHT - BOTTOM - y,
            local.time(at)
        );
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil;

    use super::*;
    use crate::transcript::model::{Author, Entry, QuestionSection, Summary};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_796_234_400 + secs).unwrap()
    }

    fn entry(secs: i64) -> Entry {
        Entry {
            id: secs.to_string(),
            network: crate::text::PlatformKind::X,
            author: Author {
                username: "ann".into(),
                name: None,
                url: None,
            },
            at: at(secs),
            text: "hi".into(),
            url: None,
        }
    }

    fn transcript(entries: Vec<Entry>) -> Transcript {
        Transcript {
            chat: "c".into(),
            title: "t".into(),
            hashtag: "#t".into(),
            timezone: "UTC".into(),
            date: civil::date(2026, 12, 2),
            starts: at(0),
            ends: at(600),
            topic: None,
            hosts: Vec::new(),
            questions: vec![QuestionSection {
                n: 1,
                text: "<why>".into(),
                at: at(60),
                url: None,
                links: Vec::new(),
                answers: Vec::new(),
            }],
            conversation: entries,
            participants: Vec::new(),
            summary: Summary {
                participants: 0,
                posts: 0,
                per_question: Vec::new(),
                top_contributors: Vec::new(),
            },
            unread_threads: Vec::new(),
        }
    }

    #[test]
    fn counts_cover_early_birds_and_late_posts() {
        let t = transcript(vec![
            entry(-150),
            entry(5),
            entry(59),
            entry(61),
            entry(700),
        ]);
        let (from, counts) = posts_per_minute(&t);
        assert_eq!(from, at(-180), "the early bird's minute starts the chart");
        assert_eq!(
            counts.len(),
            15,
            "three early minutes, the chat's ten and one past its end, the late post's"
        );
        assert_eq!(counts[0], 1);
        assert_eq!(counts[3], 2);
        assert_eq!(counts[4], 1);
        assert_eq!(counts[14], 1);
        assert_eq!(counts.iter().sum::<usize>(), 5);
    }

    #[test]
    fn an_empty_chat_still_draws_axes_and_markers() {
        let t = transcript(Vec::new());
        let (_, counts) = posts_per_minute(&t);
        assert!(counts.iter().all(|&c| c == 0));
        let svg = svg(&t, &LocalTimes::new("UTC"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 0);
        assert_eq!(svg.matches("class=\"q-marker\"").count(), 1);
        assert!(
            svg.contains("&lt;why&gt;"),
            "question text escaped in the tooltip"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn one_bar_per_busy_minute() {
        let t = transcript(vec![entry(0), entry(10), entry(130)]);
        let svg = svg(&t, &LocalTimes::new("UTC"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert!(svg.contains("18:00 · 2 posts"));
        assert!(svg.contains("18:02 · 1 post<"));
    }
}
