//! Guessing server names: `imap.`, `mail.` and `smtp.` under the email's domain, probed on the
//! implicit-TLS and STARTTLS ports (never a plaintext one) by `probe`, which sends no credential.

use std::time::Instant;

use super::probe::{self, ProbeResult};
use super::sources::{Attempt, BoxFuture, Context, first_by_preference, sign_in_for};
use super::{Candidate, Endpoint, Outcome, Security, Source};
use crate::connections::{Contact, Detail, Purpose};

async fn probe_one(
    context: &Context,
    imap: bool,
    host: String,
    port: u16,
    security: Security,
) -> Attempt<(Endpoint, ProbeResult)> {
    let started = Instant::now();
    let query = format!(
        "{} {host}:{port} {security}",
        if imap { "IMAP" } else { "SMTP" }
    );
    // Asked first (the probe then finds the answer in the resolver's cache): a name that does not
    // resolve was never contacted.
    if context.dns.ips(&host).await.is_ok() {
        context.contact(Contact::new(
            host.clone(),
            port,
            Purpose::Discovery,
            if imap {
                Detail::ImapProbe
            } else {
                Detail::SmtpProbe
            },
            false,
        ));
    }
    let result = if imap {
        probe::imap(&context.dns, &host, port, security).await
    } else {
        probe::smtp(&context.dns, &host, port, security).await
    };
    match result {
        Ok(found) => {
            context.record(
                Source::Guess,
                query,
                Outcome::Found("answers".into()),
                started,
            );
            Attempt::Hit((
                Endpoint {
                    host,
                    port,
                    security,
                    username: context.email.clone(),
                },
                found,
            ))
        }
        Err(reason) => {
            context.record(Source::Guess, query, Outcome::NotFound(reason), started);
            Attempt::Miss
        }
    }
}

/// The source "guessing": probes the usual host names of the domain, most likely first.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Guess) {
        return Attempt::Miss;
    }
    let domain = &context.domain;
    // Most likely first; implicit TLS before STARTTLS. Never a plaintext port.
    let imap_tries = [
        (format!("imap.{domain}"), 993, Security::Tls),
        (format!("mail.{domain}"), 993, Security::Tls),
        (format!("imap.{domain}"), 143, Security::StartTls),
        (format!("mail.{domain}"), 143, Security::StartTls),
    ];
    let smtp_tries = [
        (format!("smtp.{domain}"), 465, Security::Tls),
        (format!("mail.{domain}"), 465, Security::Tls),
        (format!("smtp.{domain}"), 587, Security::StartTls),
        (format!("mail.{domain}"), 587, Security::StartTls),
    ];
    let imap = first_by_preference::<(Endpoint, ProbeResult)>(
        imap_tries
            .into_iter()
            .map(|(h, p, s)| Box::pin(probe_one(context, true, h, p, s)) as BoxFuture<'_, _>)
            .collect(),
    );
    let smtp = first_by_preference::<(Endpoint, ProbeResult)>(
        smtp_tries
            .into_iter()
            .map(|(h, p, s)| Box::pin(probe_one(context, false, h, p, s)) as BoxFuture<'_, _>)
            .collect(),
    );
    let (Attempt::Hit((imap, imap_probe)), Attempt::Hit((smtp, _))) = futures::join!(imap, smtp)
    else {
        return Attempt::Miss;
    };
    Attempt::Hit(Candidate {
        source: Source::Guess,
        sign_in: sign_in_for(&imap.host, Some(&imap_probe)),
        provider: None,
        provider_name: None,
        imap,
        smtp,
        verified: false,
        plain_http: false,
        reached_through: Vec::new(),
    })
}
