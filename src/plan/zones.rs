//! Time zone names: lookup and "did you mean" suggestions.
//!
//! Organizers type `America/Chicago` from memory; a near miss (`America/Chicgo`,
//! `Chicago`, `US/Chicago`) should come back with the closest real IANA names,
//! ranked by edit distance against the whole name and against its city.

use jiff::tz::{self, TimeZone};

/// Looks a zone up in the IANA database; the error suggests close names.
pub fn lookup(name: &str) -> Result<TimeZone, String> {
    tz::db().get(name).map_err(|_| {
        if let Some(cities) = colloquial(name) {
            return format!("did you mean {}?", quoted_list(&cities));
        }
        // Only city zones are suggested: a legacy alias (`US/Eastern`) would
        // only be warned about next.
        let names: Vec<String> = tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| n == "UTC" || !is_legacy(n))
            .collect();
        let suggestions = closest(name, names.iter().map(String::as_str), 3);
        if suggestions.is_empty() {
            "write an IANA zone name like `America/Chicago` or `Europe/Paris`".to_string()
        } else {
            format!("did you mean {}?", quoted_list(&suggestions))
        }
    })
}

/// Legacy names and abbreviations, and the city zone people mean by them.
const CITY_FOR: &[(&str, &str)] = &[
    ("EST", "America/New_York"),
    ("EST5EDT", "America/New_York"),
    ("US/Eastern", "America/New_York"),
    ("US/East-Indiana", "America/Indiana/Indianapolis"),
    ("US/Michigan", "America/Detroit"),
    ("CST6CDT", "America/Chicago"),
    ("US/Central", "America/Chicago"),
    ("MST", "America/Denver"),
    ("MST7MDT", "America/Denver"),
    ("US/Mountain", "America/Denver"),
    ("US/Arizona", "America/Phoenix"),
    ("PST8PDT", "America/Los_Angeles"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Alaska", "America/Anchorage"),
    ("HST", "Pacific/Honolulu"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("Canada/Atlantic", "America/Halifax"),
    ("Canada/Eastern", "America/Toronto"),
    ("Canada/Central", "America/Winnipeg"),
    ("Canada/Mountain", "America/Edmonton"),
    ("Canada/Pacific", "America/Vancouver"),
    ("Canada/Newfoundland", "America/St_Johns"),
    ("GMT", "Europe/London"),
    ("GB", "Europe/London"),
    ("WET", "Europe/Lisbon"),
    ("CET", "Europe/Paris"),
    ("MET", "Europe/Paris"),
    ("EET", "Europe/Athens"),
    ("Japan", "Asia/Tokyo"),
    ("Singapore", "Asia/Singapore"),
    ("Hongkong", "Asia/Hong_Kong"),
    ("PRC", "Asia/Shanghai"),
    ("NZ", "Pacific/Auckland"),
    ("Australia/ACT", "Australia/Sydney"),
    ("Australia/NSW", "Australia/Sydney"),
    ("Brazil/East", "America/Sao_Paulo"),
    ("Mexico/General", "America/Mexico_City"),
];

/// What people call a zone in speech (`Eastern`, `ET`, `Pacific Time`),
/// and the city zones they mean.
const SPOKEN: &[(&[&str], &[&str])] = &[
    (&["eastern", "et"], &["America/New_York", "America/Toronto"]),
    (&["central", "ct"], &["America/Chicago", "America/Winnipeg"]),
    (
        &["mountain", "mt"],
        &["America/Denver", "America/Edmonton", "America/Phoenix"],
    ),
    (
        &["pacific", "pt"],
        &["America/Los_Angeles", "America/Vancouver"],
    ),
    (&["atlantic", "at"], &["America/Halifax"]),
    (&["alaska", "akt"], &["America/Anchorage"]),
    (&["hawaii", "ht"], &["Pacific/Honolulu"]),
    (&["uk", "british", "bst"], &["Europe/London"]),
    (
        &["cest", "central european"],
        &["Europe/Paris", "Europe/Berlin"],
    ),
    (&["ist", "india"], &["Asia/Kolkata"]),
    (&["aest", "aedt"], &["Australia/Sydney"]),
];

/// The city zones for a spoken name, with or without `Time`,
/// `Standard Time` or `Daylight Time` after it.
fn colloquial(name: &str) -> Option<Vec<String>> {
    let lower = name.trim().to_lowercase();
    let mut spoken = lower.as_str();
    for suffix in [" standard time", " daylight time", " time"] {
        spoken = spoken.strip_suffix(suffix).unwrap_or(spoken);
    }
    let (_, cities) = SPOKEN.iter().find(|(names, _)| names.contains(&spoken))?;
    Some(cities.iter().map(|c| c.to_string()).collect())
}

/// A legacy alias or a bare abbreviation (`US/Eastern`, `EST`, `Japan`).
fn is_legacy(name: &str) -> bool {
    let prefixed = ["US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "Etc/"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    prefixed || !name.contains('/')
}

/// A warning for a zone that is an abbreviation or a legacy alias (`EST`,
/// `CET`, `EST5EDT`, `US/Eastern`): it loads, but people mean a city, and
/// `EST` never changes to daylight time. The message and the help.
pub fn abbreviation_warning(name: &str, tz: &TimeZone) -> Option<(String, String)> {
    let legacy = ["US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "Etc/"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    let bare = !name.contains('/');
    if !(legacy || bare) || ["UTC", "Etc/UTC"].contains(&name) {
        return None;
    }
    let city = CITY_FOR
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, city)| *city);
    let fixed = !changes_clocks(tz);
    let what = if bare && name.chars().all(|c| c.is_ascii_uppercase()) {
        "an abbreviation, not a place"
    } else {
        "a legacy alias kept for old systems"
    };
    let clocks = if fixed {
        ": it keeps one offset all year and never changes to daylight time".to_string()
    } else {
        String::new()
    };
    let message = format!("time zone `{name}` is {what}{clocks}");
    let help = match city {
        Some(city) => format!(
            "write the city zone, e.g. `{city}`, so the chat follows the local clock (and the abbreviation in posts is right in summer too)"
        ),
        None => "write the city zone of the place, e.g. `America/New_York` or `Europe/Paris`, or `UTC` for a fixed time".into(),
    };
    Some((message, help))
}

/// Whether the zone's offset differs between January and July (any year
/// near now): a zone with daylight time.
fn changes_clocks(tz: &TimeZone) -> bool {
    let at = |month| {
        jiff::civil::date(2027, month, 15)
            .to_zoned(tz.clone())
            .map(|z| z.offset())
            .ok()
    };
    at(1) != at(7)
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    quoted.join(", ")
}

/// Up to `n` candidates closest to `word` (case-insensitive), best first;
/// candidates further than half the word's length are left out.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>, n: usize) -> Vec<String> {
    closest_with_work(word, candidates, n).0
}

/// [`closest`], and its work: the edit-distance cells it computed. Two
/// names whose lengths differ by more than the limit are further apart than
/// it, so they are never compared: a 100,000-character word against the
/// zone names costs one pass over the word, not billions of cells.
fn closest_with_work<'c>(
    word: &str,
    candidates: impl Iterator<Item = &'c str>,
    n: usize,
) -> (Vec<String>, usize) {
    let limit = (word.chars().count() / 2).max(2);
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let mut work = 0;
    let mut distance = |other: &str| -> usize {
        let other: Vec<char> = other.chars().collect();
        if word.len().abs_diff(other.len()) > limit {
            return usize::MAX;
        }
        work += word.len() * other.len();
        distance_of(&word, &other)
    };
    let mut scored: Vec<(usize, &str)> = candidates
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let city = lower.rsplit('/').next().unwrap_or(&lower);
            let whole = distance(&lower);
            let last = distance(city);
            let best = whole.min(last);
            (best <= limit).then_some((best, c))
        })
        .collect();
    scored.sort();
    let best = scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_string())
        .collect();
    (best, work)
}

/// Edit distance over characters (insert, delete, replace, and swapping two
/// neighbours, the commonest typo: `titel` is one edit from `title`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance_of(&a, &b)
}

fn distance_of(a: &[char], b: &[char]) -> usize {
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
    fn a_100000_character_zone_costs_no_comparison() {
        let names: Vec<String> = tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .collect();
        let word = "Z".repeat(100_000);
        let (found, work) = closest_with_work(&word, names.iter().map(String::as_str), 3);
        assert!(found.is_empty());
        assert_eq!(work, 0, "no name is within half of 100,000 edits");
        // A near miss is still found, at the cost of the short names only.
        let (found, work) =
            closest_with_work("America/Chicgo", names.iter().map(String::as_str), 3);
        assert_eq!(found[0], "America/Chicago");
        assert!(work < names.len() * 2 * 14 * 32, "{work}");
        assert!(lookup(&word).unwrap_err().contains("IANA zone name"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("titel", "title"), 1);
    }

    #[test]
    fn abbreviations_and_legacy_aliases_are_warned_with_the_city() {
        let warn = |name: &str| abbreviation_warning(name, &lookup(name).unwrap());
        let (message, help) = warn("EST").unwrap();
        assert!(message.contains("`EST` is an abbreviation"), "{message}");
        assert!(
            message.contains("never changes to daylight time"),
            "{message}"
        );
        assert!(help.contains("`America/New_York`"), "{help}");
        let (message, help) = warn("EST5EDT").unwrap();
        assert!(!message.contains("never changes"), "{message}");
        assert!(help.contains("`America/New_York`"), "{help}");
        let (_, help) = warn("US/Eastern").unwrap();
        assert!(help.contains("`America/New_York`"), "{help}");
        let (_, help) = warn("CET").unwrap();
        assert!(help.contains("`Europe/Paris`"), "{help}");
        for fine in ["America/Chicago", "Europe/London", "UTC", "Asia/Kolkata"] {
            assert_eq!(warn(fine), None, "{fine}");
        }
    }

    #[test]
    fn finds_real_zones_and_suggests_near_misses() {
        assert!(lookup("America/Chicago").is_ok());
        let help = lookup("America/Chicgo").unwrap_err();
        assert!(help.starts_with("did you mean `America/Chicago`"), "{help}");
        let help = lookup("Chicago").unwrap_err();
        assert!(help.contains("`America/Chicago`"), "{help}");
        // Spoken names and near misses get city zones, never a legacy
        // alias that would be warned about next.
        for spoken in ["Eastern", "ET", "Eastern Time", "eastern standard time"] {
            let help = lookup(spoken).unwrap_err();
            assert!(
                help.starts_with("did you mean `America/New_York`"),
                "{spoken}: {help}"
            );
        }
        for typo in ["US/Easternn", "Canada/Easter", "Pacfic", "CETT"] {
            let help = lookup(typo).unwrap_err();
            for legacy in ["US/", "Canada/", "`CET`", "`EET`", "`EST`", "`PST8PDT`"] {
                assert!(!help.contains(legacy), "{typo}: {help}");
            }
        }
        let help = lookup("Mars/Olympus_Mons_Base").unwrap_err();
        assert!(help.contains("IANA zone name"), "{help}");
    }
}
