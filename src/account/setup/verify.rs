//! Verification: proving IMAP and SMTP work with the new sign-in before anything is saved, as one
//! stream of steps for the wizard's live view. An account that did not verify leaves nothing behind.

use futures::channel::mpsc as futures_mpsc;
use futures::{Stream, StreamExt};

use super::{Plan, SetupError, save};
use crate::account::{Account, AccountAuth, Accounts, Server};
use crate::auth::keyring_store::{self, SecretKind};
use crate::imap::{self, Credentials};
use crate::net::Net;
use crate::smtp;

/// What the IMAP check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapCheck {
    /// IMAP took the sign-in.
    Verified,
    /// Exchange Online refused IMAP the way it does when IMAP is turned off for the mailbox, and
    /// Microsoft Graph read the mailbox with the same sign-in: Tayori reads through Microsoft 365
    /// (`because`: the IMAP server's words).
    GraphInstead { because: String },
}

/// Proves incoming mail works: signs in to IMAP and out again — or learns that Exchange Online
/// has IMAP off for this mailbox while Microsoft Graph reads it with the same sign-in.
pub async fn verify_imap(
    net: &Net,
    server: &Server,
    credentials: &Credentials,
) -> Result<ImapCheck, SetupError> {
    let refusal = match imap::login(&net.dns, server, credentials).await {
        Ok(mut session) => {
            // Exchange may take the sign-in of a mailbox with IMAP off and refuse every command
            // after it ("User is authenticated but not connected."): open the inbox to know.
            let opened = session.examine("INBOX").await;
            let _ = session.logout().await;
            match opened {
                Err(error)
                    if error
                        .to_string()
                        .to_ascii_lowercase()
                        .contains("user is authenticated but not connected") =>
                {
                    imap::ImapError::Refused {
                        reason: crate::redact::server_text(
                            &error.to_string(),
                            crate::redact::SERVER_TEXT_CHARS,
                        ),
                        advice: None,
                    }
                }
                // Anything else the inbox says is for the sync to meet: the sign-in works.
                _ => return Ok(ImapCheck::Verified),
            }
        }
        Err(error) => error,
    };
    let Credentials::OAuth(tokens) = credentials else {
        return Err(refusal.into());
    };
    let because = match &refusal {
        imap::ImapError::Refused { reason, .. }
            if tokens.is_microsoft() && imap::exchange_imap_off(reason) =>
        {
            crate::redact::server_text(reason, crate::redact::SERVER_TEXT_CHARS)
        }
        _ => return Err(refusal.into()),
    };
    let graph = crate::graph::Graph::reader(net.http.clone(), tokens.clone(), None);
    match graph.well_known("inbox").await {
        Ok(_) => {
            tracing::info!(host = %server.host, %because, "IMAP is off for this mailbox; it will read through Microsoft Graph");
            Ok(ImapCheck::GraphInstead { because })
        }
        Err(error) => {
            tracing::info!(%error, "Microsoft Graph did not read the mailbox either");
            let mut scopes: Vec<&str> = crate::graph::READ_SCOPES.to_vec();
            scopes.extend(crate::graph::SEND_SCOPES);
            let consent_url = crate::auth::consent::admin_consent_url_with(
                tokens.client(),
                &server.username,
                &scopes,
            );
            Err(SetupError::ImapOffGraphDenied {
                because,
                reason: crate::redact::server_text(
                    &error.to_string(),
                    crate::redact::SERVER_TEXT_CHARS,
                ),
                consent_url,
            })
        }
    }
}

/// Records what the IMAP check found on the saved account.
pub fn record_imap_check(
    accounts: &Accounts,
    email: &str,
    check: &ImapCheck,
) -> Result<(), SetupError> {
    if let ImapCheck::GraphInstead { because } = check {
        accounts.set_read_via_graph(email, because)?;
    }
    Ok(())
}

/// What the SMTP check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpCheck {
    /// SMTP submission took the sign-in.
    Verified,
    /// Exchange Online refused SMTP AUTH for the mailbox (`5.7.139`, `5.7.57`): the organisation
    /// turned SMTP sending off. Not a failure of the account: Tayori sends through Microsoft Graph
    /// with the same sign-in (`because`: the server's words).
    GraphInstead { because: String },
}

/// Proves outgoing mail works: signs in to SMTP submission — or learns that Exchange Online has
/// SMTP AUTH off for this mailbox, where a Microsoft sign-in sends through Microsoft Graph instead.
pub async fn verify_smtp(
    net: &Net,
    server: &Server,
    credentials: &Credentials,
) -> Result<SmtpCheck, SetupError> {
    match smtp::verify(&net.dns, server, credentials).await {
        Ok(()) => Ok(SmtpCheck::Verified),
        Err(smtp::SmtpError::Refused { reason, .. })
            if smtp::smtp_auth_disabled(&reason)
                && matches!(credentials, Credentials::OAuth(tokens) if tokens.is_microsoft()) =>
        {
            tracing::info!(host = %server.host, %reason, "SMTP AUTH is off for this mailbox; it will send through Microsoft Graph");
            Ok(SmtpCheck::GraphInstead { because: reason })
        }
        Err(error) => Err(error.into()),
    }
}

/// Records what the SMTP check found on the saved account.
pub fn record_smtp_check(
    accounts: &Accounts,
    email: &str,
    check: &SmtpCheck,
) -> Result<(), SetupError> {
    if let SmtpCheck::GraphInstead { because } = check {
        accounts.set_send_via_graph(email, because)?;
    }
    Ok(())
}

/// Forgets the sign-in of an account that did not verify: nothing is kept for an account that does
/// not work.
pub async fn forget_unverified(email: &str) {
    let _ = keyring_store::delete(email, SecretKind::RefreshToken).await;
    let _ = keyring_store::delete(email, SecretKind::ClientSecret).await;
}

/// One step of verification, for a live view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Imap,
    Smtp,
    Save,
}

/// An event of verification in progress.
#[derive(Debug)]
pub enum VerifyProgress {
    Started(Check),
    Passed(Check),
    /// The step failed; nothing was saved and the sign-in was forgotten.
    Failed(Check, SetupError),
    /// Verified and saved.
    Saved(Box<Account>),
}

/// Verifies IMAP, then SMTP, then saves — streaming each step. On a failure the sign-in is
/// forgotten and the stream ends.
pub fn verify_and_save_stream(
    net: Net,
    accounts: Accounts,
    plan: Plan,
    display_name: Option<String>,
    auth: AccountAuth,
    credentials: Credentials,
) -> impl Stream<Item = VerifyProgress> + Send + 'static {
    let (mut sender, receiver) = futures_mpsc::channel(8);
    let work = async move {
        use futures::SinkExt;
        let steps: [Check; 3] = [Check::Imap, Check::Smtp, Check::Save];
        let mut smtp_check = SmtpCheck::Verified;
        let mut imap_check = ImapCheck::Verified;
        for check in steps {
            let _ = sender.send(VerifyProgress::Started(check)).await;
            let result = match check {
                Check::Imap => verify_imap(&net, &plan.imap, &credentials)
                    .await
                    .map(|found| imap_check = found),
                Check::Smtp => verify_smtp(&net, &plan.smtp, &credentials)
                    .await
                    .map(|found| smtp_check = found),
                Check::Save => {
                    match save(
                        &accounts,
                        &plan,
                        display_name.clone(),
                        auth.clone(),
                        &credentials,
                    )
                    .await
                    {
                        Ok(mut account) => {
                            if let Err(error) =
                                record_imap_check(&accounts, &account.email, &imap_check)
                            {
                                tracing::warn!(%error, "could not record that the account reads through Microsoft Graph");
                            }
                            if let Err(error) =
                                record_smtp_check(&accounts, &account.email, &smtp_check)
                            {
                                tracing::warn!(%error, "could not record that the account sends through Microsoft Graph");
                            } else if let Ok(saved) = accounts.get(&account.email) {
                                account = saved;
                            }
                            let _ = sender.send(VerifyProgress::Passed(check)).await;
                            let _ = sender.send(VerifyProgress::Saved(Box::new(account))).await;
                            return;
                        }
                        Err(error) => Err(error),
                    }
                }
            };
            match result {
                Ok(()) => {
                    let _ = sender.send(VerifyProgress::Passed(check)).await;
                }
                Err(error) => {
                    forget_unverified(&plan.email).await;
                    let _ = sender.send(VerifyProgress::Failed(check, error)).await;
                    return;
                }
            }
        }
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}
