//! The accounts a chat names exist in the settings.
//!
//! Only names are checked here; whether each rendered post fits the
//! platforms it goes to needs the schedule (the instants and `{times}`), so
//! that check lives above, in [`crate::schedule::lengths`].

use super::{ChatPlan, Diagnostic, Loc, PlanSpans};
use crate::text::PlatformKind;

/// One configured account: its name, platform, post limit and how it
/// counts a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLimit {
    pub name: String,
    pub platform: PlatformKind,
    /// Characters as the platform counts them (X 280, Mastodon 500 unless
    /// the instance says otherwise, Bluesky 300).
    pub limit: usize,
    /// What a URL counts on this account: 23, or a Mastodon instance's
    /// `characters_reserved_per_url` as the daemon last read it.
    pub url_length: usize,
}

impl AccountLimit {
    /// An account with its platform's defaults (nothing known from a server).
    pub fn with_defaults(name: impl Into<String>, platform: PlatformKind) -> Self {
        Self {
            name: name.into(),
            platform,
            limit: platform.default_limit(),
            url_length: crate::text::length::URL_LENGTH,
        }
    }

    /// `text`'s length as this account's server counts it.
    pub fn count(&self, text: &str) -> usize {
        crate::text::count_with_url_length(self.platform, text, self.url_length)
    }
}

/// The accounts the plan posts to, and a diagnostic per unknown name.
pub fn resolve_accounts<'a>(
    plan: &ChatPlan,
    spans: &PlanSpans,
    accounts: &'a [AccountLimit],
    default_accounts: &[String],
) -> (Vec<Diagnostic>, Vec<&'a AccountLimit>) {
    let mut diags = Vec::new();
    let names = plan.accounts.as_deref().unwrap_or(default_accounts);
    let mut targets = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match accounts.iter().find(|a| &a.name == name) {
            Some(account) => targets.push(account),
            None => {
                let loc = spans.accounts.get(i).copied().unwrap_or_default();
                let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
                let hint = match super::zones::closest(name, known.iter().copied(), 1).first() {
                    Some(best) => format!("did you mean `{best}`? "),
                    None => String::new(),
                };
                let origin = if plan.accounts.is_some() {
                    ""
                } else {
                    " (from the settings' default_accounts)"
                };
                diags.push(
                    at(plan, loc, format!("unknown account `{name}`{origin}")).help(format!(
                        "{hint}accounts in the settings: {}",
                        known.join(", ")
                    )),
                );
            }
        }
    }
    (diags, targets)
}

pub(crate) fn at(plan: &ChatPlan, loc: Loc, message: String) -> Diagnostic {
    Diagnostic::new(&plan.source, loc.line, loc.column, message)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::{load_str, load_str_spanned};
    use crate::plan::validate::tests::BASE;

    pub(crate) fn limits() -> Vec<AccountLimit> {
        [
            ("main_x", PlatformKind::X),
            ("hcsm_mastodon", PlatformKind::Mastodon),
        ]
        .into_iter()
        .map(|(name, platform)| AccountLimit::with_defaults(name, platform))
        .collect()
    }

    #[test]
    fn unknown_account_names_are_located_and_suggested() {
        let src = format!("{BASE}accounts: [main_x, hcsm_mastadon]\n");
        let (plan, spans) = load_str_spanned(Path::new("t.yaml"), &src).unwrap();
        let accounts = limits();
        let (diags, targets) = resolve_accounts(&plan, &spans, &accounts, &[]);
        assert_eq!(targets.len(), 1);
        assert_eq!(diags.len(), 1);
        assert_eq!((diags[0].line, diags[0].column), (11, 20));
        assert_eq!(diags[0].message, "unknown account `hcsm_mastadon`");
        assert!(
            diags[0]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `hcsm_mastodon`")
        );
    }

    #[test]
    fn default_accounts_apply_when_the_plan_names_none() {
        let plan = load_str(Path::new("t.yaml"), BASE).unwrap();
        let accounts = limits();
        let spans = PlanSpans::default();
        let (diags, targets) = resolve_accounts(&plan, &spans, &accounts, &["main_x".into()]);
        assert!(diags.is_empty());
        assert_eq!(targets[0].name, "main_x");
        let (diags, _) = resolve_accounts(&plan, &spans, &accounts, &["gone".into()]);
        assert_eq!(diags[0].line, 0, "no line to point at: file-level");
        assert!(diags[0].message.contains("default_accounts"));
    }
}
