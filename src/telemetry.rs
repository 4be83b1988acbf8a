//! Logging set up once: `pretty` for people, `json` for collectors.
//!
//! The daemon wraps each post in a span carrying `chat`, `occurrence`, `slot`
//! and `account`; both formats print those fields on every line inside it
//! (the JSON one as `span` and `spans`), so one `grep` or one query finds
//! everything about a post. Logs go to stderr; stdout belongs to commands'
//! output (the console platform, `plan`).

use std::io::IsTerminal;

use anyhow::Context;
use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::{LogFormat, LogSettings, log_filter};

/// Installs the global subscriber from the `[log]` settings; `RUST_LOG`, when
/// set, replaces `level`. Calling it again keeps the first subscriber.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = filter(&settings.level, rust_log.as_deref())?;
    let ansi = std::io::stderr().is_terminal();
    let subscriber = subscriber(settings.format, filter, std::io::stderr, ansi);
    // Err only means a subscriber is already installed (a second call, or a
    // test harness): the first one stays, which is what "once" means here.
    let _ = subscriber.try_init();
    Ok(())
}

/// The filter: `rust_log` (the `RUST_LOG` variable) when non-empty, else `level`.
pub fn filter(level: &str, rust_log: Option<&str>) -> anyhow::Result<Targets> {
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        Some(directives) => log_filter::parse(directives)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("RUST_LOG=`{directives}` is not a valid log filter")),
        None => log_filter::parse(level)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("log.level `{level}` is not a valid log filter")),
    }
}

/// A subscriber writing `format` lines to `writer`; split out of [`init`] so
/// tests can capture lines without touching the global one.
pub fn subscriber<W>(
    format: LogFormat,
    filter: Targets,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_writer(writer);
    match format {
        LogFormat::Pretty => Box::new(builder.with_ansi(ansi).finish().with(filter)),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(true)
                .finish()
                .with(filter),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects everything written, for assertions.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Logs one event inside a post span and returns what was written.
    fn log_a_post(format: LogFormat, level: &str) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = subscriber(
            format,
            filter(level, None).unwrap(),
            move || writer.clone(),
            false,
        );
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "post",
                chat = "hcsmbm",
                occurrence = "2026-12-02T12:00",
                slot = "question-1",
                account = "main_x"
            );
            let _entered = span.enter();
            tracing::info!(remote_id = "123", "posted");
            tracing::debug!("hidden at info");
        });
        let bytes = capture.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn json_lines_carry_the_span_fields() {
        let text = log_a_post(LogFormat::Json, "info");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(line["message"], "posted");
        assert_eq!(line["remote_id"], "123");
        assert_eq!(line["level"], "INFO");
        for (key, value) in [
            ("chat", "hcsmbm"),
            ("occurrence", "2026-12-02T12:00"),
            ("slot", "question-1"),
            ("account", "main_x"),
        ] {
            assert_eq!(line["span"][key], value, "{line}");
            assert_eq!(line["spans"][0][key], value, "{line}");
        }
    }

    #[test]
    fn pretty_lines_carry_the_span_fields() {
        let text = log_a_post(LogFormat::Pretty, "info");
        assert_eq!(text.lines().count(), 1, "{text}");
        for field in [
            "chat=\"hcsmbm\"",
            "slot=\"question-1\"",
            "account=\"main_x\"",
            "posted",
        ] {
            assert!(text.contains(field), "{field} not in {text}");
        }
    }

    #[test]
    fn level_filters_and_rust_log_wins() {
        assert_eq!(log_a_post(LogFormat::Pretty, "debug").lines().count(), 2);
        assert_eq!(log_a_post(LogFormat::Pretty, "warn").lines().count(), 0);
        let chosen = filter("warn", Some("tweetchat=debug")).unwrap();
        assert_eq!(chosen.to_string(), "tweetchat=debug");
        assert_eq!(filter("warn", Some(" ")).unwrap().to_string(), "warn");
    }

    #[test]
    fn a_bad_filter_names_where_it_came_from() {
        let err = filter("info", Some("tweetchat=loud")).unwrap_err();
        assert!(format!("{err:#}").contains("RUST_LOG"), "{err:#}");
        let err = filter("=", None).unwrap_err();
        assert!(format!("{err:#}").contains("log.level"), "{err:#}");
    }
}
