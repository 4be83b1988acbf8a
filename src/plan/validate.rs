//! Meaning checks that turn a parsed file into a [`super::ChatPlan`].
