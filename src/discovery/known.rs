//! The source "known provider": an address at one of the big providers' own domains (gmail.com,
//! googlemail.com, outlook.com, hotmail.*, live.*, msn.com) is recognised from Tayori's table, with no
//! DNS and no server asked — so it works on a network whose DNS is slow, filtered or down.

use std::time::Instant;

use super::sources::{Attempt, Context, provider_candidate, summary};
use super::{Candidate, Outcome, Source, providers};

pub(super) fn ask(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let Some(provider) = providers::by_address_domain(&context.domain) else {
        context.record(
            Source::KnownProvider,
            context.domain.clone(),
            Outcome::NotFound("not one of the providers Tayori knows by their domains".into()),
            started,
        );
        return Attempt::Miss;
    };
    // Built into the program, not read from the network: nothing could have altered it.
    let candidate = provider_candidate(context, Source::KnownProvider, provider, true, Vec::new());
    context.record(
        Source::KnownProvider,
        context.domain.clone(),
        Outcome::Found(format!(
            "{} is {}; {}",
            context.domain,
            provider.id.display_name(),
            summary(&candidate)
        )),
        started,
    );
    Attempt::Hit(candidate)
}
