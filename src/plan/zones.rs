//! Time zone names: lookup and "did you mean" suggestions.
//!
//! Organizers type `America/Chicago` from memory; a near miss (`America/Chicgo`,
//! `Chicago`, `US/Chicago`) should come back with the closest real IANA names,
//! ranked by edit distance against the whole name and against its city.

use jiff::tz::{self, TimeZone};

/// Looks a zone up in the IANA database; the error suggests close names.
pub fn lookup(name: &str) -> Result<TimeZone, String> {
    tz::db().get(name).map_err(|_| {
        let names: Vec<String> = tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .collect();
        let suggestions = closest(name, names.iter().map(String::as_str), 3);
        if suggestions.is_empty() {
            "write an IANA zone name like `America/Chicago` or `Europe/Paris`".to_string()
        } else {
            format!("did you mean {}?", quoted_list(&suggestions))
        }
    })
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    quoted.join(", ")
}

/// Up to `n` candidates closest to `word` (case-insensitive), best first;
/// candidates further than half the word's length are left out.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>, n: usize) -> Vec<String> {
    let word_lower = word.to_lowercase();
    let limit = (word.chars().count() / 2).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| {
            let lower = c.to_lowercase();
            let city = lower.rsplit('/').next().unwrap_or(&lower);
            let whole = edit_distance(&word_lower, &lower);
            let last = edit_distance(&word_lower, city);
            (whole.min(last), c)
        })
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// Edit distance over characters (insert, delete, replace, and swapping two
/// neighbours, the commonest typo: `titel` is one edit from `title`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before_prev: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut row = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            row[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                row[j + 1] = row[j + 1].min(before_prev[j - 1] + 1);
            }
        }
        before_prev = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("titel", "title"), 1);
    }

    #[test]
    fn finds_real_zones_and_suggests_near_misses() {
        assert!(lookup("America/Chicago").is_ok());
        let help = lookup("America/Chicgo").unwrap_err();
        assert!(help.starts_with("did you mean `America/Chicago`"), "{help}");
        let help = lookup("Chicago").unwrap_err();
        assert!(help.contains("`America/Chicago`"), "{help}");
        let help = lookup("Mars/Olympus_Mons_Base").unwrap_err();
        assert!(help.contains("IANA zone name"), "{help}");
    }
}
