//! The Mastodon adapter against the fake Mastodon: who the account is and
//! the instance's limits, posts with their key, visibility, language and
//! parent, hashtag search through every `Link` page, reconciling by the
//! account's own statuses, and every refusal in the instance's own words.

mod support;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_mastodon::{FakeMastodon, Fault, Kind, Person, Route};
use tweetchat::clock::Clock;
use tweetchat::plan::Visibility;
use tweetchat::platform::mastodon::instance::Software;
use tweetchat::platform::mastodon::{InstanceLimits, LimitStore, MastodonAccount, MemoryLimits};
use tweetchat::platform::{Audience, OutgoingPost, Platform, PostError, RemotePost};

fn account(fake: &FakeMastodon, limits: Arc<dyn LimitStore>) -> MastodonAccount {
    MastodonAccount::new(
        &fake.settings("hcsm_mastodon"),
        limits,
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap()
}

fn outgoing<'a>(
    key: &'a str,
    text: &'a str,
    reply_to: Option<&'a RemotePost>,
    audience: &'a Audience,
) -> OutgoingPost<'a> {
    OutgoingPost {
        key,
        text,
        reply_to,
        thread_root: reply_to,
        due: Timestamp::now() - SignedDuration::from_secs(1),
        window_end: Timestamp::now() - SignedDuration::from_secs(1),
        audience,
    }
}

fn assert_spec_clean(fake: &FakeMastodon) {
    let state = fake.state();
    assert!(state.spec_problems.is_empty(), "{:#?}", state.spec_problems);
    if fake.has_spec() {
        assert!(state.spec_checks > 0);
    }
}

/// An instance that reserves more for a link: the account counts it so
/// (the thank-you split), and remembers it for `check` and `plan`.
#[tokio::test]
async fn the_instance_url_length_is_read_and_remembered() {
    let fake = FakeMastodon::start_with_limits(Kind::Mastodon, 800, 40).await;
    let limits = Arc::new(MemoryLimits::default());
    let mastodon = account(&fake, limits.clone());
    assert_eq!(
        mastodon.url_length(),
        23,
        "the default before the instance is asked"
    );
    mastodon.whoami().await.unwrap();
    assert_eq!((mastodon.limit(), mastodon.url_length()), (800, 40));
    assert_eq!(
        limits.load("hcsm_mastodon"),
        Some(InstanceLimits {
            max_characters: 800,
            characters_reserved_per_url: 40,
            software: Software::Mastodon,
            domain: Some("mastodon.test".into()),
        })
    );
    assert_eq!(account(&fake, limits).url_length(), 40);
}

#[tokio::test]
async fn whoami_reads_the_account_and_remembers_the_instance_limit() {
    let fake = FakeMastodon::start_with(Kind::Mastodon, 1000).await;
    let limits = Arc::new(MemoryLimits::default());
    let mastodon = account(&fake, limits.clone());
    assert_eq!(
        mastodon.limit(),
        500,
        "the default before the instance is asked"
    );
    let me = mastodon.whoami().await.unwrap();
    assert_eq!(
        (me.id.as_str(), me.username.as_str()),
        ("109000000000000001", "hcsm")
    );
    assert_eq!(mastodon.limit(), 1000);
    assert_eq!(
        limits.load("hcsm_mastodon"),
        Some(InstanceLimits {
            max_characters: 1000,
            characters_reserved_per_url: 23,
            software: Software::Mastodon,
            domain: Some("mastodon.test".into()),
        })
    );
    // A new account object starts from what was remembered.
    assert_eq!(account(&fake, limits).limit(), 1000);
    assert_eq!(mastodon.url_length(), 23);
    let quota = mastodon.quota().expect("rate-limit headers are read");
    assert_eq!(quota.limit, 300);
    assert!(quota.reset.is_some());
    assert_spec_clean(&fake);
}

#[tokio::test]
async fn posts_carry_key_visibility_language_and_parent() {
    let fake = FakeMastodon::start(Kind::Mastodon).await;
    let mastodon = account(&fake, Arc::new(MemoryLimits::default()));
    let audience = Audience {
        visibility: Visibility::Unlisted,
        language: Some("pt-BR".into()),
    };
    let welcome = mastodon
        .post(&outgoing("c/1/welcome/m", "Welcome #c", None, &audience))
        .await
        .unwrap();
    assert!(welcome.url.as_deref().unwrap().ends_with(&welcome.id));
    let q1 = mastodon
        .post(&outgoing(
            "c/1/question1/m",
            "Q1. Why? #c",
            Some(&welcome),
            &audience,
        ))
        .await
        .unwrap();
    let again = mastodon
        .post(&outgoing(
            "c/1/question1/m",
            "Q1. Why? #c",
            Some(&welcome),
            &audience,
        ))
        .await
        .unwrap();
    assert_eq!(
        again, q1,
        "Mastodon answers a repeated key with the same status"
    );
    let posts = fake.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[1].in_reply_to_id.as_deref(),
        Some(welcome.id.as_str())
    );
    assert_eq!(posts[1].visibility, "unlisted");
    assert_eq!(posts[1].language.as_deref(), Some("pt"));
    assert_spec_clean(&fake);
}

#[tokio::test]
async fn refusals_keep_the_instance_words_and_rate_limits_their_reset() {
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let mastodon = account(&fake, Arc::new(MemoryLimits::default()));
    let long = "a".repeat(501);
    let err = mastodon
        .post(&outgoing("k1", &long, None, &Audience::DEFAULT))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PostError::Rejected("HTTP 422: text with spoiler exceed max chars (500)".into())
    );
    fake.push_fault(Route::Create, Fault::RateLimited(Duration::from_secs(90)));
    let err = mastodon
        .post(&outgoing("k2", "hi", None, &Audience::DEFAULT))
        .await
        .unwrap_err();
    let PostError::RateLimited { reset: Some(reset) } = err else {
        panic!("{err:?}");
    };
    let wait = reset.duration_since(Timestamp::now()).as_secs();
    assert!((80..=91).contains(&wait), "{wait}");
    fake.push_fault(Route::Create, Fault::Status(502));
    assert!(matches!(
        mastodon
            .post(&outgoing("k3", "hi", None, &Audience::DEFAULT))
            .await,
        Err(PostError::Transient(_))
    ));
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn thanks_search_reads_every_page_and_names_remote_people_in_full() {
    let fake = FakeMastodon::start(Kind::Mastodon).await;
    let mastodon = account(&fake, Arc::new(MemoryLimits::default()));
    let start = Timestamp::now() - SignedDuration::from_mins(90);
    let end = Timestamp::now() - SignedDuration::from_mins(5);
    fake.seed(
        &Person::new("7", "early@other.example"),
        "A0 too early #hcsm",
        start - SignedDuration::from_mins(10),
        false,
    );
    for i in 0..95 {
        let who = Person::new(
            &format!("{}", 1000 + i),
            &format!("p{i}@remote{}.example", i % 3),
        );
        let at = start + SignedDuration::from_secs(30 * i);
        fake.seed(&who, &format!("A1 answer {i} #hcsm"), at, false);
    }
    fake.seed(
        &Person::new("8", "booster"),
        "A1 answer 3 #hcsm",
        start + SignedDuration::from_mins(20),
        true,
    );
    let host = fake.me().clone();
    fake.seed(
        &host,
        "Q1. Host question #hcsm",
        start + SignedDuration::from_mins(5),
        false,
    );
    fake.seed(
        &Person::new("9", "late"),
        "A9 after the thanks #hcsm",
        end + SignedDuration::from_secs(1),
        false,
    );
    let found = mastodon.search("#hcsm", start, end).await.unwrap();
    assert_eq!(found.len(), 97, "95 answers, the boost and the host's own");
    assert!(
        found.windows(2).all(|w| w[0].created_at <= w[1].created_at),
        "oldest first"
    );
    assert_eq!(found[0].author_username, "p0@remote0.example");
    assert!(
        found.iter().any(|p| p.is_repost),
        "boosts are marked for the thanks to leave out"
    );
    assert!(found.iter().any(|p| p.author_id == host.id));
    assert_eq!(found[0].text, "A1 answer 0 #hcsm");
    let state = fake.state();
    let pages = state
        .requests
        .iter()
        .filter(|(_, p)| p.contains("/timelines/tag/hcsm"))
        .count();
    assert_eq!(pages, 3, "40 + 40 + the page that reaches the start");
    assert!(
        state
            .requests
            .iter()
            .all(|(_, p)| !p.contains("tag/") || p.contains("limit=40"))
    );
    drop(state);
    assert_spec_clean(&fake);
}

#[tokio::test]
async fn reconcile_finds_the_post_by_its_text_even_with_remote_mentions() {
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let mastodon = account(&fake, Arc::new(MemoryLimits::default()));
    let text = "Thank you @ann@remote.example & @bob <3 #hcsm";
    let post = outgoing("t/1/thanks/m", text, None, &Audience::DEFAULT);
    assert_eq!(mastodon.reconcile(&post).await.unwrap(), None);
    let made = mastodon.post(&post).await.unwrap();
    assert_eq!(mastodon.reconcile(&post).await.unwrap(), Some(made));
    let other = outgoing(
        "t/1/thanks2/m",
        "Thank you all #hcsm",
        None,
        &Audience::DEFAULT,
    );
    assert_eq!(mastodon.reconcile(&other).await.unwrap(), None);
    assert_spec_clean(&fake);
}

/// GoToSocial builds next-page links from its own host name (`gts.test`
/// here, never the 127.0.0.1 it is reached on): the account knows that name
/// from the instance and follows the tag timeline to its end through
/// api_base.
#[tokio::test]
async fn a_tag_timeline_whose_next_link_names_the_instance_own_host_is_followed_to_the_end() {
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let mastodon = account(&fake, Arc::new(MemoryLimits::default()));
    let start = Timestamp::now() - SignedDuration::from_mins(90);
    let end = Timestamp::now() - SignedDuration::from_mins(5);
    for i in 0..85 {
        let who = Person::new(&format!("{}", 2000 + i), &format!("p{i}@far.example"));
        let at = start + SignedDuration::from_secs(30 * i);
        fake.seed(&who, &format!("A1 answer {i} #gtschat"), at, false);
    }
    let found = mastodon.search("#gtschat", start, end).await.unwrap();
    assert_eq!(found.len(), 85, "all three pages");
    assert_eq!(found[0].text, "A1 answer 0 #gtschat");
    assert_eq!(found[84].text, "A1 answer 84 #gtschat");
    let state = fake.state();
    let pages: Vec<&String> = state
        .requests
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.contains("/timelines/tag/gtschat"))
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages[1..].iter().all(|p| p.contains("max_id=")),
        "the later pages are the next links, sent to api_base: {pages:?}"
    );
    drop(state);
    assert_eq!(
        mastodon.instance_limits().domain.as_deref(),
        Some("gts.test")
    );
    assert_spec_clean(&fake);
}

/// A next link to a host that is neither api_base nor the instance's own
/// name is refused, with both names in the error.
#[tokio::test]
async fn a_next_link_to_any_other_host_is_refused() {
    let fake = FakeMastodon::start_named(Kind::GoToSocial, 500, 25, "gts.test").await;
    let other = account(&fake, Arc::new(MemoryLimits::default()));
    // The account believes the instance is called something else.
    let limits = Arc::new(MemoryLimits::default());
    limits
        .save(
            "hcsm_mastodon",
            InstanceLimits {
                domain: Some("elsewhere.test".into()),
                ..InstanceLimits::default()
            },
        )
        .unwrap();
    let start = Timestamp::now() - SignedDuration::from_mins(90);
    for i in 0..45 {
        let who = Person::new(&format!("{}", 3000 + i), "someone");
        fake.seed(
            &who,
            "A1 hi #gtschat",
            start + SignedDuration::from_secs(i),
            false,
        );
    }
    // The fake is asked at the first search, so this account learns the
    // real name and follows; one that cannot ask keeps the wrong name.
    assert_eq!(
        other
            .search("#gtschat", start, Timestamp::now())
            .await
            .unwrap()
            .len(),
        45
    );
    fake.push_fault(Route::Instance, Fault::Status(503));
    let confused = account(&fake, limits);
    let err = confused
        .search("#gtschat", start, Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PostError::Rejected(m) if m.contains("`gts.test`") && m.contains("elsewhere.test") && m.contains("not following")),
        "{err:?}"
    );
}

/// GoToSocial announces `characters_reserved_per_url: 25` but counts links
/// in full: the account (and `check`/`plan`, through the limits the daemon
/// remembers) measure a question with a long link as GoToSocial does, and
/// the server's refusal of it is what that count predicts.
#[tokio::test]
async fn a_long_link_is_counted_in_full_on_gotosocial() {
    let fake = FakeMastodon::start_with_limits(Kind::GoToSocial, 300, 25).await;
    let state = tempfile::tempdir().unwrap();
    let limits = Arc::new(tweetchat::daemon::accounts::StateLimits::open(state.path()).unwrap());
    let mastodon = account(&fake, limits);
    mastodon.whoami().await.unwrap();
    let link = format!("https://example.com/{}", "a".repeat(259));
    assert_eq!(link.chars().count(), 279);
    let question = format!("Q1. Read this first {link} #gtschat");
    let full = question.chars().count();
    let as_mastodon = tweetchat::text::count_with_url_length(
        tweetchat::text::PlatformKind::Mastodon,
        &question,
        25,
    );
    assert_eq!(as_mastodon, 54, "what the reserved length would have said");
    let known = tweetchat::daemon::accounts::account_limit(
        state.path(),
        "hcsm_mastodon",
        tweetchat::text::PlatformKind::Mastodon,
    );
    assert_eq!((known.limit, known.count(&question)), (300, full));
    assert!(full > 300);
    let counted = tweetchat::text::count_with_url_length(
        tweetchat::text::PlatformKind::Mastodon,
        &question,
        mastodon.url_length(),
    );
    assert_eq!(counted, full);
    let err = mastodon
        .post(&outgoing("k1", &question, None, &Audience::DEFAULT))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PostError::Rejected("HTTP 422: text with spoiler exceed max chars (300)".into())
    );
    // A remote mention counts in full too, and a text that fits by that
    // count is accepted.
    let fits = format!("Thanks @someone@far.example {}", "x".repeat(300 - 28));
    assert_eq!(known.count(&fits), 300);
    mastodon
        .post(&outgoing("k2", &fits, None, &Audience::DEFAULT))
        .await
        .unwrap();
}
