//! Splitting a thank-you into as few posts as the platform allows.
//!
//! After a chat the host thanks every participant by mention. With dozens or
//! thousands of participants that is more than one post, and every
//! participant must be mentioned exactly once, in the order they joined. The
//! first post is the chat's `thanks.text` with `{mentions}` filled; the
//! others are a short continuation that still carries the hashtag. When
//! there is more than one post each says which it is, `(2/3)`, and that
//! suffix is counted like the rest of the post.
//!
//! # Why greedy is optimal
//!
//! Call a run of consecutive handles *feasible at position k of n* when the
//! k-th post of n, holding exactly that run, fits the limit. Feasibility is
//! *sub-run monotone*: dropping handles from either end of a run never makes
//! the post longer (handles are separated by spaces, so removing one removes
//! its characters and a space; nothing joins across the gap). Greedy fills
//! post k as far as it fits. By induction greedy's k-th post ends at or after
//! the k-th post of any feasible split: if greedy is ahead after k posts, the
//! other split's post k+1 minus the handles greedy already placed is a
//! sub-run, so it is feasible at k+1 and greedy reaches at least as far. The
//! first post's different capacity changes nothing: the argument compares
//! posts position by position.
//!
//! The numbering couples the posts: `(k/n)` depends on n. Let N be the
//! fewest posts possible. Packing with the labels of some n ≤ N uses labels
//! no wider than N's, so the optimal split is feasible with them and greedy
//! needs m ≤ N posts. If m ≤ n the posts are relabelled `(k/m)`, which is no
//! wider, so they still fit, and m ≥ N by definition: m = N. If m > n we
//! pack again with m (still ≤ N). Starting from n = 2 this reaches N after a
//! few rounds, since n only grows and never passes N. Every post is also
//! measured with [`ThanksLayout::count`] before it is returned.

use std::ops::Range;

use super::{PlatformKind, count_with_url_length};

/// The placeholder the thank-you template must contain.
pub const MENTIONS: &str = "{mentions}";

/// How the thank-you posts are written and measured.
#[derive(Debug, Clone, Copy)]
pub struct ThanksLayout<'a> {
    /// The first post, everything rendered except `{mentions}`.
    pub template: &'a str,
    /// The chat's hashtag, carried by every continuation post.
    pub hashtag: &'a str,
    pub platform: PlatformKind,
    /// The account's limit as [`ThanksLayout::count`] measures it.
    pub limit: usize,
    /// What a URL counts on the account (a Mastodon instance's
    /// `characters_reserved_per_url`; 23 elsewhere).
    pub url_length: usize,
}

/// Why the mentions could not be split into posts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Nobody to thank by name: post the generic thank-you instead.
    #[error("no participants to mention; post the generic thank-you instead")]
    NoHandles,
    #[error("the thank-you text has no `{{mentions}}`; add it where the mentions go")]
    NoPlaceholder,
    #[error("`{handle}` does not fit in a {platform} post of {limit} even on its own")]
    HandleTooLong {
        handle: String,
        platform: PlatformKind,
        limit: usize,
    },
    #[error(
        "the thank-you text leaves no room for a mention in a {platform} post of {limit}; shorten it"
    )]
    TemplateTooLong {
        platform: PlatformKind,
        limit: usize,
    },
}

impl ThanksLayout<'_> {
    /// Post `index` (from 0) of `total`, holding `handles`. A lone post has
    /// no `(1/1)`.
    pub fn post<S: AsRef<str>>(&self, index: usize, total: usize, handles: &[S]) -> String {
        let mentions = join(handles);
        if index == 0 {
            let first = self.template.replacen(MENTIONS, &mentions, 1);
            if total == 1 {
                first
            } else {
                format!("{first} (1/{total})")
            }
        } else {
            let (hashtag, k) = (self.hashtag, index + 1);
            format!("More thanks from {hashtag} ({k}/{total}): {mentions}")
        }
    }

    /// A post's length as the account counts it.
    pub fn count(&self, post: &str) -> usize {
        count_with_url_length(self.platform, post, self.url_length)
    }

    fn fits<S: AsRef<str>>(&self, index: usize, total: usize, handles: &[S]) -> bool {
        self.count(&self.post(index, total, handles)) <= self.limit
    }

    /// Fills posts greedily with the labels of `total` posts; the ranges of
    /// handles each post holds.
    fn pack<S: AsRef<str>>(
        &self,
        total: usize,
        handles: &[S],
    ) -> Result<Vec<Range<usize>>, SplitError> {
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < handles.len() {
            let index = ranges.len();
            let mut end = start;
            while end < handles.len() && self.fits(index, total, &handles[start..=end]) {
                end += 1;
            }
            if end == start {
                return Err(self.nothing_fits(index, total, handles[start].as_ref()));
            }
            ranges.push(start..end);
            start = end;
        }
        Ok(ranges)
    }

    fn nothing_fits(&self, index: usize, total: usize, handle: &str) -> SplitError {
        if index == 0 && self.fits(1, total.max(2), &[handle]) {
            SplitError::TemplateTooLong {
                platform: self.platform,
                limit: self.limit,
            }
        } else {
            SplitError::HandleTooLong {
                handle: handle.to_owned(),
                platform: self.platform,
                limit: self.limit,
            }
        }
    }

    fn render<S: AsRef<str>>(&self, ranges: &[Range<usize>], handles: &[S]) -> Vec<String> {
        let total = ranges.len();
        ranges
            .iter()
            .enumerate()
            .map(|(index, range)| self.post(index, total, &handles[range.clone()]))
            .collect()
    }
}

/// The fewest posts mentioning every handle once, in order, each within the
/// layout's limit (see the module docs for why this is the fewest).
pub fn split_mentions<S: AsRef<str>>(
    layout: &ThanksLayout<'_>,
    handles: &[S],
) -> Result<Vec<String>, SplitError> {
    if handles.is_empty() {
        return Err(SplitError::NoHandles);
    }
    if !layout.template.contains(MENTIONS) {
        return Err(SplitError::NoPlaceholder);
    }
    if layout.fits(0, 1, handles) {
        return Ok(vec![layout.post(0, 1, handles)]);
    }
    let mut total = 2;
    loop {
        let ranges = layout.pack(total, handles)?;
        if ranges.len() > total {
            total = ranges.len();
            continue;
        }
        let posts = layout.render(&ranges, handles);
        let measured = posts.iter().all(|post| layout.count(post) <= layout.limit);
        if ranges.len() > 1 && measured {
            return Ok(posts);
        }
        // Only reachable if dropping characters made a post longer.
        if total >= handles.len() {
            return Err(SplitError::TemplateTooLong {
                platform: layout.platform,
                limit: layout.limit,
            });
        }
        total += 1;
    }
}

fn join<S: AsRef<str>>(handles: &[S]) -> String {
    let mut joined = String::new();
    for (i, handle) in handles.iter().enumerate() {
        if i > 0 {
            joined.push(' ');
        }
        joined.push_str(handle.as_ref());
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::count;

    const TEMPLATE: &str = "Thank you so much to everyone who joined #hcsmbm today: {mentions}";
    const PLATFORMS: [PlatformKind; 4] = [
        PlatformKind::X,
        PlatformKind::Mastodon,
        PlatformKind::Bluesky,
        PlatformKind::Console,
    ];
    const NAMES: &[&str] = &[
        "@alice",
        "@ゆき",
        "@josé",
        "@محمد",
        "@Ελένη",
        "@데이비드",
        "@a_rather_long_handle",
        "@bob@mastodon.social",
        "@carol.bsky.social",
        "@zoë",
    ];

    fn layout(platform: PlatformKind, limit: usize) -> ThanksLayout<'static> {
        ThanksLayout {
            template: TEMPLATE,
            hashtag: "#hcsmbm",
            platform,
            limit,
            url_length: crate::text::length::URL_LENGTH,
        }
    }

    /// A link counts what the account's instance reserves for one.
    #[test]
    fn links_count_as_the_instance_reserves() {
        let template = "Thanks for #hcsmbm, see https://example.org/transcript {mentions}";
        let handles = handles(40);
        let usual = ThanksLayout {
            template,
            ..layout(PlatformKind::Mastodon, 200)
        };
        let wide = ThanksLayout {
            url_length: 120,
            ..usual
        };
        assert_eq!(wide.count(template), usual.count(template) + 120 - 23);
        let (few, many) = (
            split_mentions(&usual, &handles).unwrap(),
            split_mentions(&wide, &handles).unwrap(),
        );
        assert!(many.len() > few.len(), "{} vs {}", many.len(), few.len());
        assert_valid(&wide, &handles, &many);
        assert!(wide.count(&many[0]) <= 200);
    }

    /// `n` distinct handles drawn from [`NAMES`] with a number appended.
    fn handles(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{}{i}", NAMES[i % NAMES.len()]))
            .collect()
    }

    /// Every handle exactly once and in order, every post within the limit,
    /// numbered when there is more than one.
    fn assert_valid(layout: &ThanksLayout<'_>, handles: &[String], posts: &[String]) {
        let mentioned: Vec<&str> = posts
            .iter()
            .flat_map(|post| post.split_whitespace())
            .filter(|token| token.starts_with('@'))
            .collect();
        assert_eq!(mentioned, handles, "every handle once, in order");
        for (i, post) in posts.iter().enumerate() {
            let length = layout.count(post);
            assert!(
                length <= layout.limit,
                "{length} > {}: {post}",
                layout.limit
            );
            if posts.len() > 1 {
                assert!(
                    post.contains(&format!("({}/{})", i + 1, posts.len())),
                    "{post}"
                );
                assert!(post.contains("#hcsmbm"), "{post}");
            }
        }
    }

    /// The fewest posts, found independently of greedy: for each total T,
    /// the set of handle counts reachable after k posts labelled `/T`.
    /// `exhaustive` tries every run; otherwise a start stops at the first run
    /// that does not fit (longer runs are longer posts).
    fn fewest_posts(
        layout: &ThanksLayout<'_>,
        handles: &[String],
        exhaustive: bool,
    ) -> Option<usize> {
        let n = handles.len();
        (1..=n).find(|&total| {
            let mut reachable = vec![0];
            for index in 0..total {
                let mut next = Vec::new();
                for &start in &reachable {
                    for end in start + 1..=n {
                        if layout.fits(index, total, &handles[start..end]) {
                            if !next.contains(&end) {
                                next.push(end);
                            }
                        } else if !exhaustive {
                            break;
                        }
                    }
                }
                reachable = next;
            }
            reachable.contains(&n)
        })
    }

    #[test]
    fn zero_handles_ask_for_the_generic_thank_you() {
        let none: [&str; 0] = [];
        for platform in PLATFORMS {
            let split = split_mentions(&layout(platform, platform.default_limit()), &none);
            assert_eq!(split, Err(SplitError::NoHandles));
        }
    }

    #[test]
    fn few_handles_make_one_unnumbered_post() {
        for platform in PLATFORMS {
            let layout = layout(platform, platform.default_limit());
            for n in [1, 2] {
                let handles = handles(n);
                let posts = split_mentions(&layout, &handles).unwrap();
                assert_eq!(posts.len(), 1);
                assert!(!posts[0].contains("(1/"), "{}", posts[0]);
                assert_valid(&layout, &handles, &posts);
            }
        }
        let posts = split_mentions(&layout(PlatformKind::X, 280), &["@alice", "@bob"]).unwrap();
        assert_eq!(
            posts,
            ["Thank you so much to everyone who joined #hcsmbm today: @alice @bob"]
        );
    }

    #[test]
    fn fifty_handles_take_the_fewest_posts_on_every_platform() {
        let handles = handles(50);
        for platform in PLATFORMS {
            for limit in [platform.default_limit(), 140, 100] {
                let layout = layout(platform, limit);
                let posts = split_mentions(&layout, &handles).unwrap();
                assert_valid(&layout, &handles, &posts);
                assert_eq!(
                    Some(posts.len()),
                    fewest_posts(&layout, &handles, false),
                    "{platform} {limit}"
                );
            }
        }
    }

    #[test]
    fn two_thousand_handles_are_all_thanked_within_the_limit() {
        let handles = handles(2000);
        for platform in PLATFORMS {
            let layout = layout(platform, platform.default_limit());
            let posts = split_mentions(&layout, &handles).unwrap();
            assert_valid(&layout, &handles, &posts);
            if platform == PlatformKind::Console {
                assert_eq!(posts.len(), 1);
            } else {
                assert!(posts.len() > 10, "{platform}: {}", posts.len());
            }
        }
    }

    #[test]
    fn numbering_width_is_counted() {
        // 9 posts need "(k/9)", 10 need "(k/10)": one more character each.
        let handles: Vec<String> = (0..40).map(|i| format!("@user{i:03}")).collect();
        let mut totals = Vec::new();
        for limit in 74..100 {
            let layout = layout(PlatformKind::Bluesky, limit);
            let posts = split_mentions(&layout, &handles).unwrap();
            assert_valid(&layout, &handles, &posts);
            assert_eq!(
                Some(posts.len()),
                fewest_posts(&layout, &handles, false),
                "limit {limit}"
            );
            totals.push(posts.len());
        }
        assert!(
            totals.contains(&9) && totals.iter().any(|&t| t >= 10),
            "{totals:?}"
        );
    }

    #[test]
    fn mastodon_counts_remote_mentions_as_their_username() {
        let handles: Vec<String> = (0..30)
            .map(|i| format!("@u{i}@a.very.long.instance.example"))
            .collect();
        let layout = layout(PlatformKind::Mastodon, 500);
        let posts = split_mentions(&layout, &handles).unwrap();
        assert_eq!(posts.len(), 1, "30 × `@uNN` is short on Mastodon");
        assert!(count(PlatformKind::X, &posts[0]) > 500);
    }

    #[test]
    fn a_handle_or_template_too_long_is_a_clear_error() {
        let long = format!("@{}", "x".repeat(300));
        let split = split_mentions(
            &layout(PlatformKind::X, 280),
            &["@alice".to_owned(), long.clone()],
        );
        assert_eq!(
            split,
            Err(SplitError::HandleTooLong {
                handle: long,
                platform: PlatformKind::X,
                limit: 280
            })
        );
        let wordy_template = format!("{} {{mentions}}", "Thanks! ".repeat(40));
        let wordy = ThanksLayout {
            template: &wordy_template,
            ..layout(PlatformKind::X, 280)
        };
        assert_eq!(
            split_mentions(&wordy, &["@alice"]),
            Err(SplitError::TemplateTooLong {
                platform: PlatformKind::X,
                limit: 280
            })
        );
        let no_placeholder = ThanksLayout {
            template: "Thanks all",
            ..layout(PlatformKind::X, 280)
        };
        assert_eq!(
            split_mentions(&no_placeholder, &["@a"]),
            Err(SplitError::NoPlaceholder)
        );
        let error = SplitError::TemplateTooLong {
            platform: PlatformKind::X,
            limit: 12,
        };
        assert_eq!(
            error.to_string(),
            "the thank-you text leaves no room for a mention in a x post of 12; shorten it"
        );
    }

    proptest::proptest! {
        #[test]
        fn greedy_matches_the_exhaustive_minimum(
            picks in proptest::collection::vec(0..NAMES.len(), 1..9),
            platform in 0..3usize,
            limit in 60..130usize,
        ) {
            let handles: Vec<String> = picks.iter().enumerate().map(|(i, &p)| format!("{}{i}", NAMES[p])).collect();
            let layout = layout(PLATFORMS[platform], limit);
            match split_mentions(&layout, &handles) {
                Ok(posts) => {
                    assert_valid(&layout, &handles, &posts);
                    proptest::prop_assert_eq!(Some(posts.len()), fewest_posts(&layout, &handles, true));
                }
                Err(_) => proptest::prop_assert_eq!(fewest_posts(&layout, &handles, true), None),
            }
        }
    }
}
