//! RFC 6186 SRV records (`_imaps._tcp`, `_submissions._tcp`, …), and the SRV lookup AutoDiscover
//! uses too (`_autodiscover._tcp`). DNS answers are not authenticated: an answer from here is never
//! "verified".

use std::time::Instant;

use super::probe;
use super::sources::{
    Attempt, BoxFuture, Context, describe_dns_error, first_by_preference, sign_in_for,
};
use super::{Candidate, Endpoint, Outcome, Security, Source, providers};
use crate::connections::{Contact, Detail, Purpose};
use crate::net::dns::Srv;

/// The preferred SRV record for `name`, with the query recorded in the trace; `None` when there is
/// no usable record.
pub(super) async fn first_record(context: &Context, source: Source, name: &str) -> Option<Srv> {
    let started = Instant::now();
    let lookup = context.dns.srv(name).await;
    first_of(context, source, name, lookup, started)
}

/// The preferred record of an SRV answer already in, recorded in the trace.
pub(super) fn first_of(
    context: &Context,
    source: Source,
    name: &str,
    lookup: Result<Vec<Srv>, crate::net::dns::DnsError>,
    started: Instant,
) -> Option<Srv> {
    let query = format!("SRV {name}");
    match lookup {
        Ok(records) if !records.is_empty() => {
            let record = records[0].clone();
            let found = format!("{}:{}", record.target, record.port);
            context.record(source, query, Outcome::Found(found), started);
            Some(record)
        }
        Ok(_) => {
            context.record(
                source,
                query,
                Outcome::NotFound("no usable record".into()),
                started,
            );
            None
        }
        Err(error) => {
            context.record(source, query, describe_dns_error(&error), started);
            None
        }
    }
}

async fn lookup(context: &Context, service: &str, security: Security) -> Attempt<Endpoint> {
    let name = format!("{service}.{}", context.domain);
    match first_record(context, Source::Srv, &name).await {
        Some(record) => Attempt::Hit(Endpoint {
            host: record.target,
            port: record.port,
            security,
            username: context.email.clone(),
        }),
        None => Attempt::Miss,
    }
}

/// The source "SRV records" (RFC 6186): IMAP and submission records, implicit TLS first, and an
/// IMAP server that answers at the named place.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Srv) {
        return Attempt::Miss;
    }
    // RFC 8314: implicit TLS first.
    let imap = first_by_preference(vec![
        Box::pin(lookup(context, "_imaps._tcp", Security::Tls)) as BoxFuture<'_, _>,
        Box::pin(lookup(context, "_imap._tcp", Security::StartTls)),
    ]);
    let smtp = first_by_preference(vec![
        Box::pin(lookup(context, "_submissions._tcp", Security::Tls)) as BoxFuture<'_, _>,
        Box::pin(lookup(context, "_submission._tcp", Security::StartTls)),
    ]);
    let (Attempt::Hit(imap), Attempt::Hit(smtp)) = futures::join!(imap, smtp) else {
        return Attempt::Miss;
    };
    let started = Instant::now();
    if context.dns.ips(&imap.host).await.is_ok() {
        context.contact(Contact::new(
            imap.host.clone(),
            imap.port,
            Purpose::Discovery,
            Detail::ImapProbe,
            false,
        ));
    }
    let probe = probe::imap(&context.dns, &imap.host, imap.port, imap.security).await;
    let query = format!("{}:{} {}", imap.host, imap.port, imap.security);
    match &probe {
        Ok(_) => context.record(
            Source::Srv,
            query,
            Outcome::Found("IMAP server answers".into()),
            started,
        ),
        Err(reason) => {
            context.record(Source::Srv, query, Outcome::Failed(reason.clone()), started);
            return Attempt::Miss;
        }
    }
    let reached = vec![
        (imap.host.clone(), "SRV record"),
        (smtp.host.clone(), "SRV record"),
    ];
    let candidate = Candidate {
        source: Source::Srv,
        sign_in: sign_in_for(&imap.host, probe.as_ref().ok()),
        provider: providers::by_mail_host(&imap.host).map(|p| p.id),
        provider_name: None,
        imap,
        smtp,
        verified: false,
        plain_http: false,
        reached_through: reached,
    };
    Attempt::Hit(candidate)
}
