//! The MX source: who receives the domain's mail says who hosts it. DNS answers are not
//! authenticated, so an answer from here is never "verified", and a move to the MX host's domain
//! needs the person's confirmation unless it is a known provider's.

use std::time::Instant;

use super::sources::{Attempt, Context, describe_dns_error, provider_candidate, summary};
use super::{Candidate, Outcome, Source, domain, ispdb, providers};

/// The source "MX records": the MX host names a known provider, or its own domain has an ISPDB
/// entry.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = format!("MX {}", context.domain);
    let records = match context.mx().await {
        Ok(records) if !records.is_empty() => records,
        Ok(_) => {
            context.record(
                Source::Mx,
                query,
                Outcome::NotFound("no MX record".into()),
                started,
            );
            return Attempt::Miss;
        }
        Err(error) => {
            context.record(Source::Mx, query, describe_dns_error(&error), started);
            return Attempt::Miss;
        }
    };
    let mx_host = records[0].host.clone();
    // DNS answers are not authenticated, so an MX-derived answer is never "verified".
    if let Some(provider) = providers::by_mx(&mx_host) {
        let candidate = provider_candidate(
            context,
            Source::Mx,
            provider,
            false,
            vec![(mx_host.clone(), "MX record")],
        );
        context.record(
            Source::Mx,
            query,
            Outcome::Found(format!(
                "{mx_host} is {}; {}",
                provider.id.display_name(),
                summary(&candidate)
            )),
            started,
        );
        return Attempt::Hit(candidate);
    }
    context.record(
        Source::Mx,
        query,
        Outcome::Found(format!("mail is received by {mx_host}")),
        started,
    );
    match domain::registrable(&mx_host) {
        Some(mx_domain) if mx_domain != context.domain => {
            ispdb::lookup(
                context,
                Source::Mx,
                &mx_domain,
                vec![(mx_host, "MX record")],
                false,
            )
            .await
        }
        _ => Attempt::Miss,
    }
}
