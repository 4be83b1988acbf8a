//! `tweetchat auth x`: the one-time OAuth 2.0 authorization of an X account.
//!
//! X's OAuth 2.0 user tokens start with a person approving the app in a
//! browser. This command prints the authorization address (PKCE, S256),
//! collects the code X sends back (on a loopback listener at the redirect
//! URI, or pasted on stdin with `--no-browser-callback` when the browser runs
//! elsewhere), trades it for the first token pair, and stores that pair in
//! the state database through the same [`TokenStore`] the daemon refreshes
//! and rotates it in. It ends by asking X who the tokens belong to, so the
//! operator sees at once whether the right account was approved.
//!
//! - [`callback`]: the loopback listener and the parsing of what comes back.

mod callback;

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};

use self::callback::{Loopback, code_from_pasted};
use crate::cli::{AuthCommand, AuthXArgs};
use crate::clock::Clock;
use crate::daemon::accounts::StateTokens;
use crate::platform::Platform;
use crate::platform::x::oauth2::ClientCredentials;
use crate::platform::x::{TokenStore, XAccount, api_base, pkce};
use crate::settings::{AccountSettings, Settings};
use crate::store;
use crate::text::PlatformKind;

pub fn run(config_dir: &Path, command: AuthCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuthCommand::X(args) => x(config_dir, args),
    }
}

fn x(config_dir: &Path, args: AuthXArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config_dir)
        .with_context(|| format!("reading settings from {}", config_dir.display()))?;
    let account = pick_account(&settings, args.account.as_deref())?;
    let client_id = account
        .client_id
        .clone()
        .ok_or_else(|| anyhow!("account `{}` has no client_id", account.name))?;
    let state_dir = args.state.unwrap_or_else(|| settings.state_dir.clone());
    // Opened before the runtime (and dropped after it): on PostgreSQL the
    // store drives a runtime of its own.
    let tokens: Arc<dyn TokenStore> = Arc::new(StateTokens::for_command(&settings, &state_dir)?);
    let stored_in = match settings.store.redacted_url() {
        Some(url) => format!("the state database {url}"),
        None => state_dir.join(store::FILE_NAME).display().to_string(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Bind first: a busy port is an error before the operator opens the URL.
    let loopback = if args.no_browser_callback {
        None
    } else {
        Some(runtime.block_on(Loopback::bind(&args.redirect_uri))?)
    };
    let authorization = pkce::authorization(&client_id, &args.redirect_uri);
    print_instructions(
        account,
        &authorization.url,
        &args.redirect_uri,
        loopback.is_some(),
    )?;
    let code = match loopback {
        Some(loopback) => runtime.block_on(loopback.wait(&authorization.state))?,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the pasted address from stdin")?;
            code_from_pasted(&line, &authorization.state)?
        }
    };
    let exchange = Exchange {
        account,
        client_id,
        code,
        verifier: authorization.verifier,
        redirect_uri: args.redirect_uri,
    };
    runtime.block_on(exchange.finish(Arc::clone(&tokens), &stored_in))?;
    drop(runtime);
    drop(tokens);
    Ok(ExitCode::SUCCESS)
}

/// The account named on the command line, or the only X account with a
/// `client_id`.
fn pick_account<'a>(
    settings: &'a Settings,
    name: Option<&str>,
) -> anyhow::Result<&'a AccountSettings> {
    let oauth2: Vec<&AccountSettings> = settings
        .accounts
        .values()
        .filter(|a| a.platform == PlatformKind::X && a.client_id.is_some())
        .collect();
    let names = || {
        oauth2
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => {
            let account = settings.accounts.get(name).ok_or_else(|| {
                crate::commands::usage(format!("no account named `{name}` in the settings; define [accounts.{name}] with platform = \"x\" and client_id"))
            })?;
            if account.platform != PlatformKind::X || account.client_id.is_none() {
                return Err(crate::commands::usage(format!(
                    "account `{name}` is not an X account with a client_id: OAuth 2.0 \
                     authorization needs platform = \"x\" and the app's client_id (OAuth 1.0a \
                     accounts use the keys from the developer portal and need no `auth`)"
                )));
            }
            Ok(account)
        }
        None => match oauth2.as_slice() {
            [only] => Ok(*only),
            [] => bail!(
                "no X account with a client_id in the settings: add one, e.g. [accounts.main_x] \
                 platform = \"x\" and client_id = \"…\" (from X's developer portal), then run \
                 this again"
            ),
            _ => Err(crate::commands::usage(format!(
                "several X accounts have a client_id ({}); say which with --account NAME",
                names()
            ))),
        },
    }
}

fn print_instructions(
    account: &AccountSettings,
    url: &str,
    redirect_uri: &str,
    listening: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Authorizing account `{}` on X (scopes: {}).\n\n\
         1. Open this address in a browser signed in as the X account that hosts the chats:\n\n\
         {url}\n",
        account.name,
        pkce::SCOPES
    )?;
    if listening {
        writeln!(
            out,
            "2. Approve the app. Waiting for the browser to come back to {redirect_uri} …\n   \
             (If the browser runs on another machine, stop this and run it again with \
             --no-browser-callback.)"
        )?;
    } else {
        writeln!(
            out,
            "2. Approve the app. The browser then goes to {redirect_uri}?state=…&code=… (the page \
             may fail to load; that is fine).\n3. Paste that whole address here and press Enter:"
        )?;
    }
    out.flush()?;
    Ok(())
}

/// A code on its way to becoming stored tokens.
struct Exchange<'a> {
    account: &'a AccountSettings,
    client_id: String,
    code: String,
    verifier: String,
    redirect_uri: String,
}

impl Exchange<'_> {
    /// Trades the code, stores the tokens, and says who they belong to.
    async fn finish(self, store: Arc<dyn TokenStore>, stored_in: &str) -> anyhow::Result<()> {
        let http = crate::tls::client(self.account.timeout)
            .map_err(anyhow::Error::msg)
            .context("could not build the HTTP client for X")?;
        let client = ClientCredentials {
            client_id: self.client_id.clone(),
            client_secret: self.account.secret("client_secret").cloned(),
            token_url: format!("{}/2/oauth2/token", api_base(self.account)),
        };
        let clock = Clock::system(self.account.timeout);
        let tokens = pkce::exchange(
            &http,
            &client,
            &self.code,
            &self.verifier,
            &self.redirect_uri,
            clock.now(),
        )
        .await?;
        // Not in the middle of a refresh by the daemon: it then reads this
        // pair again before its next refresh, rather than storing over it.
        // (A CLI command: blocking here holds up nobody.)
        let lock = store.lock_refresh(&self.account.name)?;
        store.save(&self.account.name, &tokens).with_context(|| {
            format!(
                "X issued tokens but they could not be stored in {stored_in}; fix that and run \
                 `tweetchat auth x` again"
            )
        })?;
        drop(lock);
        let x = XAccount::new(self.account, store, clock)?;
        let me = x.whoami().await.map_err(|e| {
            anyhow!("the tokens are stored, but asking X who they belong to failed: {e}")
        })?;
        let name = me.display_name.as_deref().unwrap_or(&me.username);
        println!(
            "\nAuthorized: account `{}` posts as @{} ({name}, user id {}).\n\
             The tokens are in {stored_in}; the daemon refreshes and rotates them from now on.",
            self.account.name, me.username, me.id,
        );
        if self.account.secret("refresh_token").is_some() {
            println!(
                "The stored tokens take precedence over the `refresh_token` setting, which you \
                 can now remove."
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("local.toml"), toml).unwrap();
        Settings::load_from(dir.path(), []).unwrap()
    }

    const TWO: &str = "[accounts.a_x]\nplatform = \"x\"\nclient_id = \"c1\"\n\
                       [accounts.b_x]\nplatform = \"x\"\nclient_id = \"c2\"\n\
                       [accounts.old_x]\nplatform = \"x\"\nconsumer_key = \"k\"\n\
                       consumer_secret = \"s\"\naccess_token = \"t\"\naccess_token_secret = \"u\"\n";

    #[test]
    fn the_only_oauth2_account_is_picked_without_asking() {
        let s = settings("[accounts.a_x]\nplatform = \"x\"\nclient_id = \"c1\"\n");
        assert_eq!(pick_account(&s, None).unwrap().name, "a_x");
    }

    #[test]
    fn several_accounts_need_a_name() {
        let s = settings(TWO);
        let err = pick_account(&s, None).unwrap_err().to_string();
        assert!(
            err.contains("(a_x, b_x); say which with --account"),
            "{err}"
        );
        assert_eq!(pick_account(&s, Some("b_x")).unwrap().name, "b_x");
        let err = pick_account(&s, Some("old_x")).unwrap_err().to_string();
        assert!(err.contains("not an X account with a client_id"), "{err}");
        let err = pick_account(&s, Some("nope")).unwrap_err().to_string();
        assert!(err.contains("no account named `nope`"), "{err}");
    }

    #[test]
    fn no_oauth2_account_says_what_to_add() {
        let err = pick_account(&settings(""), None).unwrap_err().to_string();
        assert!(err.contains("no X account with a client_id"), "{err}");
    }
}
