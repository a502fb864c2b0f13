//! Signing an account in again — the same as `tayori account reauth`: the browser for OAuth
//! accounts, the typed password otherwise; both servers checked; then the account is marked signed
//! in. A shared mailbox's sign-in is its member's: signing it in again signs the member in. Used
//! by the mailbox's "needs sign-in" banner and by the settings screen.

use tayori::account::Account;
use tayori::account::setup::{self, SetupError};
use tayori::auth::Credentials;
use tayori::net::Net;

use super::context::Context;
use super::failure::Failure;

/// Runs the whole sign-in; a failure says what the person or their administrator can do.
pub async fn sign_in_again(
    context: Context,
    account: Account,
    password: String,
) -> Result<(), Failure> {
    run(context, account, password)
        .await
        .map_err(|e| Failure::from_setup(&e))
}

async fn run(context: Context, account: Account, password: String) -> Result<(), SetupError> {
    let net = Net::from_settings(&context.settings)?;
    let accounts = tayori::account::Accounts::new(&context.paths);
    // A shared mailbox opens with its member's sign-in: the member signs in (no sign-in of the
    // shared mailbox's own exists), and the shared mailbox is checked with it.
    let shared = account.shared_via.is_some().then(|| account.clone());
    let account = setup::sign_in_owner(&accounts, &account)?;
    // The browser's page waits until the account is checked (dropped on failure: "return to Tayori").
    let (credentials, page) = match setup::saved_oauth_client(&account.auth)
        .map(|client| setup::with_graph_scopes(client, &accounts, &account))
    {
        Some(client) => {
            let signed_in = setup::sign_in_oauth(
                &net,
                &client,
                &account.email,
                &account.imap.host,
                context.browser.clone(),
                |_| {},
                // The sign-in page's own time limit ends the wait.
                futures::future::pending::<()>(),
            )
            .await?;
            setup::note_sign_in(&account.email, &setup::oauth_auth(&signed_in.client)).await;
            (Credentials::OAuth(signed_in.manager), Some(signed_in.page))
        }
        None => (
            Credentials::Password(setup::non_empty_password(password)?),
            None,
        ),
    };
    setup::verify_imap(&net, &account.imap, &credentials).await?;
    setup::verify_smtp(&net, &account.smtp, &credentials).await?;
    if let Credentials::Password(password) = &credentials {
        tayori::auth::keyring_store::save(
            &account.email,
            tayori::auth::keyring_store::SecretKind::AppPassword,
            password,
        )
        .await?;
    }
    if let Some(shared) = &shared {
        setup::verify_imap(&net, &shared.imap, &credentials).await?;
    }
    setup::signed_in_again(&accounts, &account.email)?;
    if let Some(page) = page {
        page.signed_in().await;
    }
    Ok(())
}
