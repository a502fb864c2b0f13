//! The ISPDB: Thunderbird's database of mail providers' settings (or an organisation's mirror,
//! `TAYORI_ISPDB_URL`), one autoconfig document per domain at `<base>/<domain>`.

use super::autoconfig::fetch_config;
use super::sources::{Attempt, Context};
use super::{Candidate, Source};

/// Asks the ISPDB for `domain`'s entry (also used by `mx` for the MX host's domain).
pub(super) async fn lookup(
    context: &Context,
    source: Source,
    domain: &str,
    reached: Vec<(String, &'static str)>,
    verified: bool,
) -> Attempt<Candidate> {
    let Ok(url) = context.options.ispdb_url.join(domain) else {
        return Attempt::Miss;
    };
    fetch_config(context, source, url, verified, reached).await
}

/// The source "ISPDB": the entry for the email's own domain.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    lookup(
        context,
        Source::Ispdb,
        &context.domain.clone(),
        Vec::new(),
        true,
    )
    .await
}
