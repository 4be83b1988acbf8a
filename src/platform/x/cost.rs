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

    /// One line for people: the total, what it is made of, and the prices.
    pub fn summary(&self) -> String {
        let plural = if self.posts == 1 { "" } else { "s" };
        format!(
            "estimated X API cost: {} for {} post{plural} on X ({} with a link), at \
             pay-per-use prices of {} a post and {} a post with a link",
            format_usd(self.total),
            self.posts,
            self.with_url,
            format_usd(price::POST),
            format_usd(price::POST_WITH_URL),
        )
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
                total: 230
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
}
