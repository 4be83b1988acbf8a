//! Durations as organizers write them: `90s`, `5m`, `1h30m`, `1d`.
