//! The transcript pages built from a realistic saved search: every post
//! appears exactly once, nothing a participant typed becomes markup, and the
//! JSON reads back to the same transcript.

use std::path::Path;

use tweetchat::transcript::{Capture, Transcript, html, markdown};

fn capture() -> Capture {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcript/2026-12-02.posts.json");
    Capture::load(&path).unwrap()
}

fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn every_post_appears_exactly_once_and_reposts_never() {
    let capture = capture();
    let t = Transcript::build(&capture).unwrap();
    let md = markdown::render(&t);
    let page = html::render(&t);
    for post in &capture.posts {
        let link = format!("/status/{}", post.id);
        let expected = usize::from(!post.is_repost);
        assert_eq!(occurrences(&md, &link), expected, "markdown, {post:?}");
        assert_eq!(occurrences(&page, &link), expected, "html, {post:?}");
    }
    let entries = t.entries().count() + t.questions.len();
    let originals = capture.posts.iter().filter(|p| !p.is_repost).count();
    assert_eq!(entries, originals);
}

#[test]
fn answers_sit_under_their_question_in_time_order() {
    let t = Transcript::build(&capture()).unwrap();
    assert_eq!(t.questions.len(), 5);
    for q in &t.questions {
        assert!(!q.answers.is_empty(), "Q{} has answers", q.n);
        assert!(q.answers.windows(2).all(|w| w[0].at <= w[1].at));
    }
    let xss = t.questions[2]
        .answers
        .iter()
        .find(|e| e.author.username == "h4ck3r" && e.text.contains("onerror"));
    assert!(xss.is_some(), "the `A3 </p>…` post answers Q3");
    assert!(t.conversation.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(t.summary.posts, t.entries().count());
}

#[test]
fn participants_exclude_host_cohost_and_repost_only_people() {
    let t = Transcript::build(&capture()).unwrap();
    let names: Vec<&str> = t.participants.iter().map(|p| p.username.as_str()).collect();
    assert_eq!(
        names.first(),
        Some(&"nurse_ann"),
        "the early bird comes first"
    );
    for absent in ["hcsmbm_host", "cohost_jane", "quietlurker"] {
        assert!(!names.contains(&absent), "{absent} is not a participant");
    }
    assert!(names.contains(&"zoe_日本"));
    assert_eq!(t.summary.participants, names.len());
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "each participant once");
}

#[test]
fn html_contains_no_markup_from_users() {
    let page = html::render(&Transcript::build(&capture()).unwrap());
    for raw in [
        "<script",
        "<img",
        "<b>Mo",
        "</p><img",
        "href=\"javascript",
        "\"quotes\"",
    ] {
        assert!(!page.contains(raw), "unescaped {raw:?} in the page");
    }
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("&lt;/p&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"));
    assert!(page.contains("Zoë 🌸 山田"));
}

#[test]
fn html_is_self_contained() {
    let page = html::render(&Transcript::build(&capture()).unwrap());
    for external in [
        "<script", "<link", "@import", "url(", "<img", "src=\"", "<iframe",
    ] {
        assert!(
            !page.contains(external),
            "{external:?} would load something"
        );
    }
    assert!(page.contains("<style>") && page.contains("<svg"));
}

#[test]
fn markdown_contains_no_markup_from_users() {
    let md = markdown::render(&Transcript::build(&capture()).unwrap());
    assert!(!md.contains('<'), "no raw HTML at all");
    for (at, _) in md.match_indices("](javascript") {
        assert!(md[..at].ends_with('\\'), "a script link at byte {at}");
    }
    assert!(md.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
    assert!(md.contains("> \\# not a heading"));
    assert!(md.contains("> \\- not a list"));
    assert!(md.contains("\\[link\\](javascript"), "{md}");
    assert!(md.contains("Kim \\*Kardio\\* Kim"));
    assert!(md.contains("[@zoe\\_日本](https://x.com/zoe_日本)"));
}

#[test]
fn json_reads_back_to_the_same_transcript() {
    let t = Transcript::build(&capture()).unwrap();
    let json = serde_json::to_string_pretty(&t).unwrap();
    let back: Transcript = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["date"], "2026-12-02");
    assert_eq!(value["summary"]["per_question"][0]["n"], 1);
}

#[test]
fn two_thousand_participants_are_each_listed_once() {
    let mut capture = capture();
    let template = capture.posts[0].clone();
    capture.posts = (0..2000)
        .map(|i| {
            let mut post = template.clone();
            post.id = format!("big{i}");
            post.author_id = format!("author{i}");
            post.author_username = format!("person{i:04}");
            post.is_repost = false;
            post.in_reply_to = None;
            post.url = Some(format!("https://x.com/person{i:04}/status/big{i}"));
            post.created_at = capture
                .starts
                .checked_add(jiff::SignedDuration::from_secs(i))
                .unwrap();
            post
        })
        .collect();
    let t = Transcript::build(&capture).unwrap();
    assert_eq!(t.summary.participants, 2000);
    let page = html::render(&t);
    let md = markdown::render(&t);
    for i in 0..2000 {
        let handle = format!("@person{i:04}<");
        // Beside the post, in the participants list, and among the top ten
        // (all tied at one post, so the first ten by first post).
        let expected = if i < 10 { 3 } else { 2 };
        assert_eq!(occurrences(&page, &handle), expected, "{handle}");
        assert_eq!(occurrences(&md, &format!("/status/big{i})")), 1);
    }
}

#[test]
fn a_session_s_topic_and_hosts_head_both_pages_as_text() {
    let mut capture = capture();
    capture.topic = Some("Assessment <that> helps".into());
    capture.hosts = vec!["@ana".into(), "@ben".into()];
    let t = Transcript::build(&capture).unwrap();
    assert_eq!(t.topic.as_deref(), Some("Assessment <that> helps"));
    let page = html::render(&t);
    assert!(
        page.contains("<h2 class=\"topic\">Assessment &lt;that&gt; helps</h2>"),
        "{page}"
    );
    assert!(page.contains("Hosted by @ana and @ben"));
    let md = markdown::render(&t);
    assert!(
        md.contains("**Topic:** Assessment &lt;that&gt; helps"),
        "{md}"
    );
    assert!(md.contains("**Hosted by** @ana and @ben"), "{md}");
    // The JSON keeps them; a chat without a session writes neither key.
    let json = serde_json::to_string(&t).unwrap();
    let back: Transcript = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    let plain = serde_json::to_string(&Transcript::build(&self::capture()).unwrap()).unwrap();
    assert!(!plain.contains("\"topic\"") && !plain.contains("\"hosts\""));
    assert!(!html::render(&Transcript::build(&self::capture()).unwrap()).contains("Hosted by"));
}
