//! Logging set up once: `pretty` for people, `json` for collectors.
