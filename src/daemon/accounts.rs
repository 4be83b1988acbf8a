//! From account settings to platforms.
//!
//! [`build_account`] is the one place that knows which adapter serves which
//! `platform = "…"`; an adapter that is not in this build yet is a clear
//! start-up error rather than a silent skip. X's rotating OAuth 2.0 tokens
//! are kept in the state database ([`StateTokens`]) so a restart never reuses
//! a spent refresh token.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow, bail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::platform::console::Console;
use crate::platform::x::{StoredTokens, TokenStore, XAccount};
use crate::platform::{Platform, PostError};
use crate::settings::{AccountSettings, Secret, Settings};
use crate::store::Store;
use crate::text::PlatformKind;

/// What every adapter may need besides its own settings.
pub struct AccountContext {
    pub state_dir: std::path::PathBuf,
    pub clock: Clock,
    pub tokens: Arc<dyn TokenStore>,
}

impl AccountContext {
    /// A context that builds adapters without touching anything: no state
    /// database, tokens in memory. `tweetchat check` builds every account
    /// with it through [`build_account`], so it refuses exactly what `run`
    /// refuses.
    pub fn dry_run(settings: &Settings) -> Self {
        Self {
            state_dir: settings.state_dir.clone(),
            clock: Clock::system(settings.rescan_interval),
            tokens: Arc::new(crate::platform::x::MemoryTokenStore::new()),
        }
    }
}

/// The platform for one configured account.
pub fn build_account(
    account: &AccountSettings,
    context: &AccountContext,
) -> anyhow::Result<Arc<dyn Platform>> {
    let platform: Arc<dyn Platform> = match account.platform {
        PlatformKind::Console => Arc::new(Console::new(
            &account.name,
            &context.state_dir,
            context.clock.clone(),
        )),
        PlatformKind::X => Arc::new(
            // Its errors already name the account.
            XAccount::new(account, context.tokens.clone(), context.clock.clone())?,
        ),
        kind @ (PlatformKind::Mastodon | PlatformKind::Bluesky) => bail!(
            "account `{}`: platform `{kind}` is not supported by this build yet; \
             use `console` or `x`, or remove [accounts.{}]",
            account.name,
            account.name
        ),
    };
    Ok(platform)
}

/// Every account in the settings.
pub fn build_accounts(
    settings: &Settings,
    context: &AccountContext,
) -> anyhow::Result<BTreeMap<String, Arc<dyn Platform>>> {
    settings
        .accounts
        .values()
        .map(|account| Ok((account.name.clone(), build_account(account, context)?)))
        .collect()
}

/// Asks every account once who it posts as, before any slot, and logs it.
/// Refused credentials stop the start-up with one line per account saying
/// what to fix; a platform that cannot be reached only warns (its posts are
/// retried inside their grace windows like any temporary failure).
pub async fn verify_accounts(accounts: &BTreeMap<String, Arc<dyn Platform>>) -> anyhow::Result<()> {
    let mut checks = tokio::task::JoinSet::new();
    for (name, platform) in accounts {
        let (name, platform) = (name.clone(), platform.clone());
        checks.spawn(async move { (name, platform.kind(), platform.whoami().await) });
    }
    let mut refused = Vec::new();
    while let Some(joined) = checks.join_next().await {
        let (name, kind, answer) = joined.context("an account check panicked")?;
        match answer {
            Ok(me) => {
                info!(account = %name, platform = %kind, user_id = %me.id, "account ready: `{name}` posts as @{}", me.username)
            }
            Err(err @ (PostError::Unauthorized(_) | PostError::Rejected(_))) => {
                let hint = match kind {
                    PlatformKind::X => format!(
                        "; fix its keys in [accounts.{name}], or for OAuth 2.0 run \
                         `tweetchat auth x --account {name}`"
                    ),
                    _ => format!("; fix its credentials in [accounts.{name}]"),
                };
                refused.push(format!("account `{name}` ({kind}): {err}{hint}"));
            }
            Err(err) => {
                warn!(account = %name, "could not check who account `{name}` posts as, starting anyway: {err}")
            }
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    refused.sort();
    bail!(
        "not starting, the platform refused these accounts:\n  - {}",
        refused.join("\n  - ")
    )
}

/// OAuth tokens in the state database's key/value table, one connection of
/// its own (token refreshes are rare and must be durable before use).
pub struct StateTokens {
    store: Mutex<Store>,
}

#[derive(Serialize, Deserialize)]
struct TokenRow {
    access_token: String,
    refresh_token: String,
    expires_at: Timestamp,
}

impl StateTokens {
    pub fn open(state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            store: Mutex::new(Store::open(state_dir)?),
        })
    }

    fn key(account: &str) -> String {
        format!("oauth2/{account}")
    }
}

impl TokenStore for StateTokens {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredTokens>> {
        let store = self
            .store
            .lock()
            .map_err(|_| anyhow!("the token store lock is poisoned"))?;
        let Some(json) = store.kv_get(&Self::key(account))? else {
            return Ok(None);
        };
        let row: TokenRow = serde_json::from_str(&json)
            .with_context(|| format!("the stored tokens of account `{account}` are unreadable"))?;
        Ok(Some(StoredTokens {
            access_token: Secret::new(row.access_token),
            refresh_token: Secret::new(row.refresh_token),
            expires_at: row.expires_at,
        }))
    }

    fn save(&self, account: &str, tokens: &StoredTokens) -> anyhow::Result<()> {
        let row = TokenRow {
            access_token: tokens.access_token.expose().to_string(),
            refresh_token: tokens.refresh_token.expose().to_string(),
            expires_at: tokens.expires_at,
        };
        let json = serde_json::to_string(&row)?;
        let mut store = self
            .store
            .lock()
            .map_err(|_| anyhow!("the token store lock is poisoned"))?;
        store.kv_set(&Self::key(account), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_reopening_the_state_database() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = StoredTokens {
            access_token: Secret::new("a1"),
            refresh_token: Secret::new("r1"),
            expires_at: "2026-12-02T20:00:00Z".parse().unwrap(),
        };
        StateTokens::open(dir.path())
            .unwrap()
            .save("main_x", &tokens)
            .unwrap();
        let again = StateTokens::open(dir.path()).unwrap();
        assert_eq!(again.load("main_x").unwrap(), Some(tokens));
        assert_eq!(again.load("other").unwrap(), None);
    }

    #[test]
    fn unsupported_platforms_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let context = AccountContext {
            state_dir: dir.path().to_path_buf(),
            clock: Clock::system(std::time::Duration::from_secs(30)),
            tokens: Arc::new(crate::platform::x::MemoryTokenStore::new()),
        };
        let account = AccountSettings {
            name: "hcsm_mastodon".into(),
            platform: PlatformKind::Mastodon,
            api_base: None,
            handle: None,
            client_id: None,
            secrets: BTreeMap::new(),
            timeout: std::time::Duration::from_secs(30),
        };
        let err = build_account(&account, &context).err().unwrap().to_string();
        assert!(err.contains("`mastodon` is not supported"), "{err}");
    }
}
