//! A recurring chat's rhythm in words for the pages: `Every Wednesday at
//! 12:00`, not the cron line participants cannot read. Lines with steps,
//! month lists or both day fields set keep their cron form (`None`).

/// The cron line (5 fields or a shorthand) in words, with its local time;
/// `None` when it is not one of the plain shapes.
pub fn in_words(line: &str) -> Option<String> {
    let line = line.trim();
    let expanded = match line.to_ascii_lowercase().as_str() {
        "@hourly" => return Some("Every hour, on the hour".into()),
        "@daily" | "@midnight" => "0 0 * * *".to_string(),
        "@weekly" => "0 0 * * 0".to_string(),
        "@monthly" => "0 0 1 * *".to_string(),
        "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
        _ => line.to_string(),
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields.as_slice() else {
        return None;
    };
    let minute: u8 = minute.parse().ok().filter(|m| *m < 60)?;
    let hour: u8 = hour.parse().ok().filter(|h| *h < 24)?;
    let at = format!("at {hour:02}:{minute:02}");
    if *month == "*" {
        let days = match (*day, *weekday) {
            ("*", "*") => "Every day".to_string(),
            ("*", weekdays) => weekdays_in_words(weekdays)?,
            (days, "*" | "?") => month_days_in_words(days)?,
            _ => return None,
        };
        return Some(format!("{days} {at}"));
    }
    // Once a year: `0 12 28 2 *`.
    let month: usize = month.parse().ok().filter(|m| (1..=12).contains(m))?;
    let day: u8 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    (*weekday == "*").then(|| format!("Every {day} {} {at}", MONTHS[month - 1]))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `WED` or `3` (Sunday 0 or 7) as `Wednesday`.
fn weekday(field: &str) -> Option<&'static str> {
    if let Ok(n) = field.parse::<usize>() {
        return WEEKDAYS.get(n % 7).copied().filter(|_| n <= 7);
    }
    WEEKDAYS
        .iter()
        .find(|name| name[..3].eq_ignore_ascii_case(field))
        .copied()
}

/// `WED`, `MON,THU`, `MON-FRI`, `WED#2`, `FRIL`.
fn weekdays_in_words(field: &str) -> Option<String> {
    if let Some((day, nth)) = field.split_once('#') {
        let ordinal = ["first", "second", "third", "fourth", "fifth"]
            .get(nth.parse::<usize>().ok()?.checked_sub(1)?)?;
        return Some(format!("The {ordinal} {} of every month", weekday(day)?));
    }
    if let Some(day) = field.strip_suffix(['L', 'l'])
        && !day.is_empty()
    {
        return Some(format!("The last {} of every month", weekday(day)?));
    }
    let mut parts = Vec::new();
    for item in field.split(',') {
        match item.split_once('-') {
            Some((from, to)) => parts.push(format!("{} to {}", weekday(from)?, weekday(to)?)),
            None => parts.push(weekday(item)?.to_string()),
        }
    }
    Some(format!("Every {}", and_list(&parts)))
}

/// `1`, `1,15`, `L` as days of the month.
fn month_days_in_words(field: &str) -> Option<String> {
    if field.eq_ignore_ascii_case("L") {
        return Some("On the last day of every month".into());
    }
    let days: Option<Vec<String>> = field
        .split(',')
        .map(|d| {
            d.parse::<u8>()
                .ok()
                .filter(|d| (1..=31).contains(d))
                .map(ordinal)
        })
        .collect();
    Some(format!("On the {} of every month", and_list(&days?)))
}

fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::in_words;

    #[test]
    fn plain_rules_read_as_words() {
        let cases = [
            ("0 12 * * WED", "Every Wednesday at 12:00"),
            ("30 19 * * 2", "Every Tuesday at 19:30"),
            ("0 9 * * MON-FRI", "Every Monday to Friday at 09:00"),
            ("0 9 * * MON,THU", "Every Monday and Thursday at 09:00"),
            ("0 20 * * *", "Every day at 20:00"),
            (
                "0 12 * * WED#2",
                "The second Wednesday of every month at 12:00",
            ),
            ("0 12 * * FRIL", "The last Friday of every month at 12:00"),
            (
                "0 12 1,15 * *",
                "On the 1st and 15th of every month at 12:00",
            ),
            ("0 12 L * *", "On the last day of every month at 12:00"),
            ("0 17 28 2 *", "Every 28 February at 17:00"),
            ("@daily", "Every day at 00:00"),
        ];
        for (line, words) in cases {
            assert_eq!(in_words(line).as_deref(), Some(words), "{line}");
        }
    }

    #[test]
    fn other_shapes_keep_the_cron_line() {
        for line in [
            "*/15 * * * *",
            "0 12 1 * WED",
            "0 12 * 1-6 WED",
            "0 8-17 * * *",
        ] {
            assert_eq!(in_words(line), None, "{line}");
        }
    }
}
