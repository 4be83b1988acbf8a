//! The log filter: `[log] level` and `RUST_LOG`.
//!
//! A filter is a comma-separated list of directives: a level (`info`), a
//! target and a level (`tweetchat=debug`, `tweetchat::daemon=trace`), or a
//! bare target (everything it logs). That is the subset of `EnvFilter`'s
//! syntax that tracing's static [`Targets`] filter understands; we use it
//! because `EnvFilter`'s span and field matching brings in a regex engine
//! (about 150 KB of the binary and its start-up work) that nothing here
//! needs. What `Targets` would take silently but never match (an empty
//! piece, `tweetchat:debug`, a span filter `tweetchat[post]=debug`) is an
//! error that says what to write instead.

use tracing_subscriber::filter::Targets;

/// Parses `directives`; `Err` is one sentence naming the piece at fault.
pub fn parse(directives: &str) -> Result<Targets, String> {
    let pieces: Vec<&str> = directives.split(',').map(str::trim).collect();
    if pieces.iter().all(|p| p.is_empty()) {
        return Err("it is empty: write a level such as \"info\"".to_owned());
    }
    let mut kept = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if piece.is_empty() {
            return Err(format!(
                "`{directives}` has an empty directive between commas: remove the extra comma"
            ));
        }
        if piece.contains(['[', ']', '{', '}', '"']) {
            return Err(format!(
                "`{piece}` filters by span or field, which is not supported: \
                 write `target=level`, such as \"tweetchat::daemon=debug\""
            ));
        }
        let target = match piece.split_once('=') {
            Some(("", _)) => {
                return Err(format!(
                    "`{piece}` has no target before `=`: write `target=level`, such as \"tweetchat=debug\", or a level alone"
                ));
            }
            Some((_, "")) => {
                return Err(format!(
                    "`{piece}` has no level after `=`: write one of off, error, warn, info, debug or trace"
                ));
            }
            Some((target, _)) => target,
            None => piece,
        };
        if !is_target(target) && target.parse::<Level>().is_err() {
            return Err(format!(
                "`{target}` in `{piece}` is neither a level nor a module path: \
                 write `target=level`, such as \"tweetchat=debug\""
            ));
        }
        kept.push(piece);
    }
    kept.join(",").parse::<Targets>().map_err(|e| {
        format!("{e}: write levels as off, error, warn, info, debug or trace, such as \"tweetchat=debug\"")
    })
}

type Level = tracing_subscriber::filter::LevelFilter;

/// A Rust module path: `name` or `name::name…`, each an identifier.
fn is_target(target: &str) -> bool {
    target.split("::").all(|name| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::parse;

    #[test]
    fn levels_and_targets_filter_as_written() {
        let info = parse("info").unwrap();
        assert!(info.would_enable("tweetchat::daemon", &Level::INFO));
        assert!(!info.would_enable("tweetchat::daemon", &Level::DEBUG));

        let mixed = parse(" warn, tweetchat::daemon=debug ,hyper=off").unwrap();
        assert!(mixed.would_enable("tweetchat::daemon::dispatch", &Level::DEBUG));
        assert!(!mixed.would_enable("tweetchat::store", &Level::INFO));
        assert!(mixed.would_enable("tweetchat::store", &Level::WARN));
        assert!(!mixed.would_enable("hyper::proto", &Level::ERROR));

        let bare = parse("tweetchat").unwrap();
        assert!(bare.would_enable("tweetchat::plan", &Level::TRACE));
        assert!(!bare.would_enable("h2", &Level::ERROR));
    }

    #[test]
    fn what_would_never_match_is_refused_with_what_to_write() {
        for (bad, says) in [
            ("", "empty"),
            (" , ", "empty"),
            ("info,", "extra comma"),
            ("tweetchat=loud", "off, error, warn"),
            ("tweetchat=debug=trace", "="),
            ("=", "no target before"),
            ("=debug", "no target before"),
            ("tweetchat=", "no level after"),
            ("tweetchat[post]=debug", "span or field"),
            ("tweetchat[{chat}]=debug", "span or field"),
            ("tweetchat:debug", "neither a level nor a module path"),
            ("my-crate=info", "neither a level nor a module path"),
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }
}
