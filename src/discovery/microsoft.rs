//! When Microsoft's central services may hear an address.
//!
//! Microsoft's central AutoDiscover v2 (`autodiscover-s.outlook.com`, `outlook.office365.com`) is
//! asked *with the whole address*. Asking it for every address would tell Microsoft about every
//! Gmail, Fastmail or Japanese provider's user who adds an account to Tayori. So it is asked only
//! when the address's own domain says it is at Microsoft, in its own DNS:
//!
//! - the address is at one of Microsoft's consumer domains (outlook.com, hotmail.co.jp …);
//! - an MX record in one of Exchange Online's forms (`*.mail.protection.outlook.com`, the newer
//!   `*.mx.microsoft`, Outlook.com's `*.olc.protection.outlook.com`, and the sovereign clouds'
//!   `*.mail.protection.office365.us` and `*.mail.protection.partner.outlook.cn`);
//! - `autodiscover.<domain>` as a CNAME to `autodiscover.outlook.com` — the record Microsoft tells
//!   every tenant to publish;
//! - an `_autodiscover._tcp.<domain>` SRV record pointing at Microsoft's AutoDiscover host;
//! - a TXT record that only a Microsoft 365 tenant publishes: the domain-verification record
//!   `MS=ms…`, or an SPF policy with `include:spf.protection.outlook.com` (domains that keep
//!   their mailboxes in Exchange Online behind another company's mail filter publish these while
//!   their MX points at the filter);
//!
//! or when the person said so ("Is this a Microsoft 365 or Exchange account?" — asked only after
//! every other source came up empty).
//!
//! The DNS answers are the same ones the MX and SRV sources need (shared, not asked twice), and
//! every check runs at once: the first that says Microsoft opens the gate.

use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::sources::{BoxFuture, Context};
use super::{Outcome, Source, providers};

/// The central AutoDiscover v2 hosts.
pub const CENTRAL_HOSTS: [&str; 2] = ["autodiscover-s.outlook.com", "outlook.office365.com"];

/// MX host suffixes of Exchange Online (worldwide, Outlook.com, and the sovereign clouds).
const EXCHANGE_ONLINE_MX: &[&str] = &[
    ".mail.protection.outlook.com",
    ".olc.protection.outlook.com",
    ".mx.microsoft",
    ".mail.protection.office365.us",
    ".mail.protection.partner.outlook.cn",
];

/// Where Microsoft tells tenants to point `autodiscover.<domain>` and `_autodiscover._tcp`.
const MICROSOFT_AUTODISCOVER_HOSTS: &[&str] = &[
    "autodiscover.outlook.com",
    "autodiscover-s.outlook.com",
    "autodiscover.office365.us",
    "autodiscover.partner.outlook.cn",
];

/// Whether an MX host is Exchange Online's.
pub fn is_exchange_online_mx(host: &str) -> bool {
    let host = format!(".{}", host.trim_end_matches('.').to_ascii_lowercase());
    EXCHANGE_ONLINE_MX
        .iter()
        .any(|suffix| host.ends_with(suffix))
}

/// Whether a CNAME or SRV target is Microsoft's AutoDiscover host.
pub fn is_microsoft_autodiscover_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    MICROSOFT_AUTODISCOVER_HOSTS.contains(&host.as_str())
}

/// Whether a TXT record is one only a Microsoft 365 tenant publishes.
pub fn is_microsoft_txt(record: &str) -> bool {
    let lower = record.trim().to_ascii_lowercase();
    if let Some(number) = lower.strip_prefix("ms=ms") {
        return !number.is_empty() && number.chars().all(|c| c.is_ascii_digit());
    }
    lower.starts_with("v=spf1")
        && lower.split_whitespace().any(|term| {
            term.trim_start_matches(['+', '~', '?']) == "include:spf.protection.outlook.com"
        })
}

/// Why the central service may be asked, or `None` (recorded in the trace either way).
pub(super) async fn gate(context: &Context) -> Option<String> {
    let started = Instant::now();
    let why = reason(context).await;
    let what = "Microsoft's central AutoDiscover (receives the address)".to_owned();
    match &why {
        Some(why) => context.record(
            Source::Autodiscover,
            what,
            Outcome::Found(format!("asked, because {why}")),
            started,
        ),
        None => context.record(
            Source::Autodiscover,
            what,
            Outcome::NotFound(format!(
                "not asked: nothing in {}'s DNS says Microsoft, so the address was not sent there",
                context.domain
            )),
            started,
        ),
    }
    why
}

async fn reason(context: &Context) -> Option<String> {
    if context.options.microsoft_account {
        return Some("you said this is a Microsoft 365 or Exchange account".into());
    }
    if providers::by_address_domain(&context.domain)
        .is_some_and(|p| p.id == providers::KnownProvider::Microsoft)
    {
        return Some(format!("{} is Microsoft's own domain", context.domain));
    }
    let domain = context.domain.clone();
    let mut checks: FuturesUnordered<BoxFuture<'_, Option<String>>> = FuturesUnordered::new();
    checks.push(Box::pin(async {
        let records = context.mx().await.ok()?;
        let first = records.first()?;
        is_exchange_online_mx(&first.host)
            .then(|| format!("the MX {} is Exchange Online", first.host))
    }));
    if super::domain::registrable(&domain).is_some() {
        checks.push(Box::pin(async {
            let name = format!("autodiscover.{}", context.domain);
            let target = context.dns.cname(&name).await.ok()??;
            is_microsoft_autodiscover_host(&target)
                .then(|| format!("{name} is an alias of {target}"))
        }));
        checks.push(Box::pin(async {
            let records = context.autodiscover_srv().await.ok()?;
            let first = records.first()?;
            is_microsoft_autodiscover_host(&first.target).then(|| {
                format!(
                    "_autodiscover._tcp.{} points at {}",
                    context.domain, first.target
                )
            })
        }));
        checks.push(Box::pin(async {
            let records = context.dns.txt(&context.domain).await.ok()?;
            records
                .iter()
                .any(|r| is_microsoft_txt(r))
                .then(|| format!("{}'s TXT records name Microsoft 365", context.domain))
        }));
    }
    while let Some(answer) = checks.next().await {
        if answer.is_some() {
            return answer;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_online_mx_forms_are_recognised_and_lookalikes_are_not() {
        for mx in [
            "contoso-com.mail.protection.outlook.com",
            "CONTOSO-COM.mail.protection.outlook.com.",
            "contoso-com.o-v1.mx.microsoft",
            "outlook-com.olc.protection.outlook.com",
            "contoso-us.mail.protection.office365.us",
            "contoso-cn.mail.protection.partner.outlook.cn",
        ] {
            assert!(is_exchange_online_mx(mx), "{mx}");
        }
        for mx in [
            "aspmx.l.google.com",
            "mail.protection.outlook.com.evil.test",
            "mx.microsoft.evil.test",
            "notmx.microsoft",
            "mx1.fastmail.com",
        ] {
            assert!(!is_exchange_online_mx(mx), "{mx}");
        }
    }

    #[test]
    fn autodiscover_aliases_and_txt_records() {
        assert!(is_microsoft_autodiscover_host("autodiscover.outlook.com."));
        assert!(!is_microsoft_autodiscover_host(
            "autodiscover.outlook.com.evil.test"
        ));
        assert!(!is_microsoft_autodiscover_host("autodiscover.example.com"));
        assert!(is_microsoft_txt("MS=ms12345678"));
        assert!(is_microsoft_txt(
            "v=spf1 include:spf.protection.outlook.com -all"
        ));
        assert!(is_microsoft_txt(
            "v=spf1 ip4:192.0.2.1 +include:spf.protection.outlook.com ~all"
        ));
        assert!(!is_microsoft_txt("v=spf1 include:_spf.google.com ~all"));
        assert!(!is_microsoft_txt(
            "v=spf1 include:spf.protection.outlook.com.evil.test -all"
        ));
        assert!(!is_microsoft_txt("google-site-verification=abc"));
        assert!(!is_microsoft_txt("MS=msx"));
    }
}
