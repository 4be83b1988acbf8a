//! Durable state in SQLite: intent before the side effect, result after.
