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
            characters_reserved_per_url: 40
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
            characters_reserved_per_url: 23
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
        PostError::Rejected(
            "HTTP 422: Validation failed: Text character limit of 500 exceeded".into()
        )
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
