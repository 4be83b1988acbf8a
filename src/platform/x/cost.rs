//! What a post costs on X's pay-per-use API, for `tweetchat plan`.
//!
//! X bills self-serve API use per request since 2026. A post that contains a
//! link costs more than ten times a plain one, which is easy to miss in a
//! chat file (a link in every question of a weekly chat adds up), so the
//! plan shows the estimate and points at every post with a link. Amounts are
//! kept in thousandths of a dollar so sums are exact.

use crate::text::url::{Schemes, find_urls};

/// X pay-per-use prices in thousandths of a US dollar, as listed in X's
/// developer pricing (checked 2026-11-27; see DESIGN "Platform facts"):
/// about $0.015 to create a post, $0.20 to create a post containing a URL.
/// Update both together when X changes them.
pub mod price {
    /// Creating a post without a link: $0.015.
    pub const POST: u64 = 15;
    /// Creating a post whose text contains a URL: $0.20.
    pub const POST_WITH_URL: u64 = 200;
    /// Reading one post (search results, look-ups): $0.005.
    pub const POST_READ: u64 = 5;
}

/// The most posts read after one occurrence to find the answers given in
/// its questions' threads: one look-up per question, then each
/// conversation searched up to its cap (a threaded chat is one
/// conversation; otherwise each question starts its own).
pub fn thread_reads_max(questions: u64, threaded: bool) -> u64 {
    if questions == 0 {
        return 0;
    }
    let conversations = if threaded { 1 } else { questions };
    questions + conversations * super::conversation::MAX_POSTS
}

/// The URLs X would find in `text` (it links scheme-less domains too).
pub fn urls(text: &str) -> Vec<&str> {
    find_urls(text, Schemes::Optional)
        .into_iter()
        .map(|range| &text[range])
        .collect()
}

/// The estimated cost of posting `text` once, in thousandths of a dollar.
pub fn post_cost(text: &str) -> u64 {
    if urls(text).is_empty() {
        price::POST
    } else {
        price::POST_WITH_URL
    }
}

/// Thousandths of a dollar as `$1.234`.
pub fn format_usd(thousandths: u64) -> String {
    format!("${}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// Thousandths of a dollar as a JSON-friendly number of dollars.
pub fn to_usd(thousandths: u64) -> f64 {
    thousandths as f64 / 1000.0
}

/// A running total over many planned posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Posts created on X (one per X account a text goes to).
    pub posts: u64,
    /// How many of them contain a link.
    pub with_url: u64,
    /// Thousandths of a dollar.
    pub total: u64,
    /// The most posts read in the questions' threads after the chats.
    pub reads_max: u64,
}

impl Estimate {
    /// Counts `text` posted on `accounts` X accounts; returns what that costs.
    pub fn add(&mut self, text: &str, accounts: u64) -> u64 {
        let cost = post_cost(text) * accounts;
        self.posts += accounts;
        if cost > price::POST * accounts {
            self.with_url += accounts;
        }
        self.total += cost;
        cost
    }

    /// Counts the thread reads after one thank-you on `accounts` X
    /// accounts ([`thread_reads_max`]); returns the most that costs.
    pub fn add_reads(&mut self, reads: u64, accounts: u64) -> u64 {
        self.reads_max += reads * accounts;
        reads * accounts * price::POST_READ
    }

    /// One line for people: the total, what it is made of, and the prices;
    /// then, when thank-yous read threads, the most those reads add.
    pub fn summary(&self) -> String {
        let plural = if self.posts == 1 { "" } else { "s" };
        let mut line = format!(
            "estimated X API cost: {} for {} post{plural} on X ({} with a link), at \
             pay-per-use prices of {} a post and {} a post with a link",
            format_usd(self.total),
            self.posts,
            self.with_url,
            format_usd(price::POST),
            format_usd(price::POST_WITH_URL),
        );
        if self.reads_max > 0 {
            line.push_str(&format!(
                "; reading the answers in the questions' threads after each chat adds at most {} \
                 ({} post reads at {} each)",
                format_usd(self.reads_max * price::POST_READ),
                self.reads_max,
                format_usd(price::POST_READ),
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_makes_a_post_cost_the_link_price() {
        assert_eq!(post_cost("Q1. What matters most? #hcsmbm"), 15);
        assert_eq!(
            post_cost("Q2. Read https://example.org/guide first #hcsmbm"),
            200
        );
        // X links a bare domain with a generic TLD too.
        assert_eq!(post_cost("See example.com #hcsmbm"), 200);
        assert_eq!(
            urls("See example.com and https://x.org/a #c"),
            ["example.com", "https://x.org/a"]
        );
    }

    #[test]
    fn an_estimate_counts_each_x_account() {
        let mut estimate = Estimate::default();
        assert_eq!(estimate.add("Q1. #c", 2), 30);
        assert_eq!(estimate.add("Q2. https://example.org #c", 1), 200);
        assert_eq!(estimate.add("Welcome #c", 0), 0);
        assert_eq!(
            estimate,
            Estimate {
                posts: 3,
                with_url: 1,
                total: 230,
                reads_max: 0,
            }
        );
        assert_eq!(
            estimate.summary(),
            "estimated X API cost: $0.230 for 3 posts on X (1 with a link), at pay-per-use \
             prices of $0.015 a post and $0.200 a post with a link"
        );
    }

    #[test]
    fn amounts_print_exactly() {
        assert_eq!(format_usd(15), "$0.015");
        assert_eq!(format_usd(1_215), "$1.215");
        assert_eq!(format_usd(0), "$0.000");
        assert!((to_usd(135) - 0.135).abs() < 1e-12);
    }

    #[test]
    fn thread_reads_are_bounded_per_conversation() {
        assert_eq!(thread_reads_max(0, false), 0);
        assert_eq!(thread_reads_max(2, true), 2 + 500);
        assert_eq!(thread_reads_max(2, false), 2 + 1000);
        let mut estimate = Estimate::default();
        estimate.add("Q1. #c", 1);
        assert_eq!(estimate.add_reads(502, 1), 2_510);
        assert!(
            estimate.summary().ends_with(
                "; reading the answers in the questions' threads after each chat adds at most \
                 $2.510 (502 post reads at $0.005 each)"
            ),
            "{}",
            estimate.summary()
        );
    }
}
