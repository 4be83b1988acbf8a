//! The long-running loop.
