//! Splitting a thank-you into posts.
