//! `{placeholder}` templates.

/// Values for placeholders. `None` means the placeholder is not available in
/// this kind of post (e.g. `{mentions}` outside thanks) and is an error.
#[derive(Debug, Clone, Default)]
pub struct Vars<'a> {
    pub title: &'a str,
    pub hashtag: &'a str,
    /// Local time in the chat zone, e.g. `12:00 CST`.
    pub time: &'a str,
    /// `{times}`: the chat zone then every `show_times_in` zone.
    pub times: &'a str,
    /// Local date in the chat zone, e.g. `Wed 2 Dec 2026`.
    pub date: &'a str,
    pub n: Option<u32>,
    pub text: Option<&'a str>,
    pub mentions: Option<&'a str>,
}

/// A template problem, with the byte offset into the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder `{{{name}}}`")]
    Unknown { name: String, offset: usize },
    #[error("placeholder `{{{name}}}` is not available here")]
    Unavailable { name: String, offset: usize },
    #[error("unclosed `{{`")]
    Unclosed { offset: usize },
}

/// Fills `template`. `{{` and `}}` are literal braces.
pub fn render(template: &str, vars: &Vars<'_>) -> Result<String, TemplateError> {
    let _ = (template, vars);
    todo!("text::template::render")
}

/// Appends the hashtag unless the text already carries it (case-insensitive,
/// as a whole tag); every post carries it exactly once.
pub fn ensure_hashtag(text: &str, hashtag: &str) -> String {
    let _ = (text, hashtag);
    todo!("text::template::ensure_hashtag")
}
