//! Top-level domains a scheme-less URL may end in.
//!
//! twitter-text knows every IANA TLD (about 1,500). For counting a tweet-chat
//! post we keep every country-code TLD and the generic TLDs people actually
//! link to; a rare gTLD written without `https://` is counted letter by letter
//! (see [`super::url`]).

/// Country-code TLDs (ISO 3166 codes delegated by IANA, plus `eu`, `su`, `ac`, `uk`).
const COUNTRY: &[&str] = &[
    "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax",
    "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "br", "bs", "bt",
    "bv", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn", "co",
    "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee", "eg",
    "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb", "gd", "ge", "gf", "gg",
    "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm", "hn",
    "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it", "je", "jm", "jo",
    "jp", "ke", "kg", "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc", "li",
    "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md", "me", "mg", "mh", "mk", "ml", "mm",
    "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "nc", "ne",
    "nf", "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph", "pk",
    "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw", "sa", "sb",
    "sc", "sd", "se", "sg", "sh", "si", "sj", "sk", "sl", "sm", "sn", "so", "sr", "ss", "st", "su",
    "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr",
    "tt", "tv", "tw", "tz", "ua", "ug", "uk", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi", "vn",
    "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw",
];

/// Generic TLDs, sorted.
const GENERIC: &[&str] = &[
    "academy",
    "aero",
    "agency",
    "app",
    "art",
    "asia",
    "bank",
    "bar",
    "bio",
    "biz",
    "blog",
    "build",
    "business",
    "buzz",
    "cafe",
    "camp",
    "care",
    "careers",
    "cat",
    "center",
    "chat",
    "church",
    "city",
    "click",
    "clinic",
    "cloud",
    "club",
    "codes",
    "college",
    "com",
    "community",
    "company",
    "consulting",
    "cool",
    "coop",
    "dental",
    "design",
    "dev",
    "digital",
    "directory",
    "doctor",
    "edu",
    "education",
    "email",
    "energy",
    "engineering",
    "events",
    "expert",
    "family",
    "fit",
    "foundation",
    "fun",
    "fund",
    "gallery",
    "games",
    "global",
    "gmbh",
    "gov",
    "group",
    "guide",
    "guru",
    "health",
    "healthcare",
    "help",
    "hospital",
    "host",
    "house",
    "how",
    "info",
    "ink",
    "institute",
    "int",
    "international",
    "jobs",
    "kitchen",
    "land",
    "law",
    "life",
    "link",
    "live",
    "llc",
    "ltd",
    "management",
    "market",
    "marketing",
    "media",
    "medical",
    "mil",
    "mobi",
    "museum",
    "name",
    "net",
    "network",
    "news",
    "ngo",
    "ninja",
    "one",
    "online",
    "org",
    "page",
    "partners",
    "photo",
    "photography",
    "pizza",
    "place",
    "plus",
    "post",
    "press",
    "pro",
    "productions",
    "properties",
    "pub",
    "recipes",
    "rocks",
    "run",
    "school",
    "science",
    "services",
    "shop",
    "site",
    "social",
    "software",
    "solutions",
    "space",
    "store",
    "studio",
    "style",
    "support",
    "systems",
    "team",
    "tech",
    "technology",
    "tel",
    "tips",
    "today",
    "tools",
    "top",
    "training",
    "travel",
    "university",
    "video",
    "vip",
    "watch",
    "website",
    "wiki",
    "win",
    "work",
    "works",
    "world",
    "wtf",
    "xxx",
    "xyz",
    "zone",
];

/// Whether `label` (any case) is a TLD we link without a scheme.
pub fn is_known_tld(label: &str) -> bool {
    if label.len() > 24 || !label.is_ascii() {
        return false;
    }
    let lower = label.to_ascii_lowercase();
    let list = if lower.len() == 2 { COUNTRY } else { GENERIC };
    list.binary_search(&lower.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_binary_search() {
        assert!(COUNTRY.windows(2).all(|w| w[0] < w[1]));
        assert!(GENERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(GENERIC.iter().all(|t| t.len() > 2));
    }

    #[test]
    fn knows_common_tlds_in_any_case() {
        for tld in ["com", "ORG", "io", "de", "uk", "dev", "app"] {
            assert!(is_known_tld(tld), "{tld}");
        }
        for tld in ["txt", "zz", "", "comx", "みんな"] {
            assert!(!is_known_tld(tld), "{tld}");
        }
    }
}
