//! `/healthz` and `/metrics` for operators.
//!
//! [`Metrics`] is a small hand-written Prometheus registry: a few counters,
//! gauges and one histogram do not justify a metrics framework.
