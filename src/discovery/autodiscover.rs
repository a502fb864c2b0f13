//! Exchange AutoDiscover, always unauthenticated.
//!
//! - v2 (JSON): `{"Protocol": "AutodiscoverV1", "Url": "https://outlook.office365.com/autodiscover/autodiscover.xml"}`
//!   says where a mailbox lives. Exchange Online means Microsoft 365's servers and OAuth; any other URL is
//!   an on-premises server, asked next with v1.
//! - v1 (POX): an XML POST whose answer, in the Outlook schema, may list IMAP, POP3 and SMTP
//!   `<Protocol>` entries — or redirect to another address or URL.
//!
//! The source that asks both (`ask`) is at the end, after the parsers.

use std::time::Instant;

use crate::connections::Detail;
use serde::Deserialize;
use url::Url;

use super::sources::{
    Attempt, BoxFuture, Context, any_plain_http_hop, describe_http_error, first_by_preference,
    hop_hosts, provider_candidate, redact_query, summary,
};
use super::{
    Candidate, Endpoint, Outcome, Security, SignIn, Source, domain, expand_username, microsoft,
    providers, srv,
};

/// The v2 answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct V2Answer {
    #[serde(rename = "Protocol")]
    pub protocol: String,
    #[serde(rename = "Url")]
    pub url: String,
}

pub fn parse_v2(body: &[u8]) -> Result<V2Answer, String> {
    let answer: V2Answer =
        serde_json::from_slice(body).map_err(|e| format!("not an AutoDiscover v2 answer: {e}"))?;
    url::Url::parse(&answer.url)
        .map_err(|e| format!("AutoDiscover v2 gave an invalid URL: {e}"))?;
    Ok(answer)
}

/// The POX request body (Outlook request schema 2006).
pub fn v1_request(email: &str) -> String {
    // The address is XML-escaped: it comes from the person, and must not reshape the document.
    let escaped = email
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{escaped}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#
    )
}

/// What a v1 answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V1Answer {
    Settings {
        imap: Option<Endpoint>,
        smtp: Option<Endpoint>,
        offered: Vec<String>,
    },
    RedirectUrl(String),
    RedirectAddress(String),
}

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

pub fn parse_v1(xml: &str, email: &str) -> Result<V1Answer, String> {
    let document = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .map_err(|e| format!("not valid XML: {e}"))?;
    let root = document.root_element();
    if root.tag_name().name() != "Autodiscover" {
        return Err("not an AutoDiscover answer".into());
    }
    let response = child(root, "Response").ok_or("the answer has no <Response>")?;
    if let Some(error) = child(response, "Error") {
        let message = child_text(error, "Message").unwrap_or_else(|| "unknown error".into());
        return Err(format!("the server answered with an error: {message}"));
    }
    let account = child(response, "Account").ok_or("the answer has no <Account>")?;
    match child_text(account, "Action").as_deref() {
        Some("redirectUrl") => {
            return child_text(account, "RedirectUrl")
                .map(V1Answer::RedirectUrl)
                .ok_or_else(|| "redirectUrl without a URL".into());
        }
        Some("redirectAddr") => {
            return child_text(account, "RedirectAddr")
                .map(V1Answer::RedirectAddress)
                .ok_or_else(|| "redirectAddr without an address".into());
        }
        _ => {}
    }
    let mut imap = None;
    let mut smtp = None;
    let mut offered = Vec::new();
    for protocol in account
        .children()
        .filter(|c| c.tag_name().name() == "Protocol")
    {
        let kind = child_text(protocol, "Type")
            .unwrap_or_default()
            .to_ascii_uppercase();
        offered.push(kind.clone());
        let Some(host) = child_text(protocol, "Server") else {
            continue;
        };
        let port: Option<u16> = child_text(protocol, "Port").and_then(|p| p.parse().ok());
        let ssl_on = child_text(protocol, "SSL").is_none_or(|v| v.eq_ignore_ascii_case("on"));
        let encryption = child_text(protocol, "Encryption").map(|e| e.to_ascii_uppercase());
        let username = child_text(protocol, "LoginName").unwrap_or_else(|| "%EMAILADDRESS%".into());
        let security = || -> Option<Security> {
            match encryption.as_deref() {
                Some("SSL") => Some(Security::Tls),
                Some("TLS") => Some(Security::StartTls),
                Some("NONE") => None,
                _ if !ssl_on => None,
                // SSL=on without <Encryption> means SSL (implicit TLS), except on the ports that are
                // STARTTLS by definition.
                _ => Some(if matches!(port, Some(143 | 587 | 25)) {
                    Security::StartTls
                } else {
                    Security::Tls
                }),
            }
        };
        let make = |implicit_port: u16| {
            security().map(|security| Endpoint {
                host: host.to_ascii_lowercase(),
                port: port.unwrap_or(implicit_port),
                security,
                username: expand_username(&username, email),
            })
        };
        match kind.as_str() {
            "IMAP" if imap.is_none() => imap = make(993),
            "SMTP" if smtp.is_none() => smtp = make(465),
            _ => {}
        }
    }
    Ok(V1Answer::Settings {
        imap,
        smtp,
        offered,
    })
}

/// Asks AutoDiscover v1 at `url` (POST), following one `redirectUrl`/`redirectAddr`. `verified`
/// is false when the way here already had a plain-HTTP hop (the legacy redirect).
async fn ask_v1(
    context: &Context,
    url: Url,
    mut reached: Vec<(String, &'static str)>,
    mut verified: bool,
) -> Attempt<Candidate> {
    let mut url = url;
    let mut plain_http = false;
    let mut email = context.email.clone();
    for _ in 0..2 {
        let started = Instant::now();
        let query = format!("POST {url}");
        const V1: Detail = Detail::AutodiscoverV1;
        context.note_request(&url, V1, true).await;
        let fetched = match context
            .http
            .post(
                url.clone(),
                "text/xml; charset=utf-8",
                v1_request(&email).into_bytes(),
            )
            .await
        {
            Ok(fetched) => {
                context.note_hops(&fetched, V1, true);
                fetched
            }
            Err(error) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    describe_http_error(&error),
                    started,
                );
                return Attempt::Miss;
            }
        };
        reached.extend(hop_hosts(&fetched));
        verified &= !any_plain_http_hop(&fetched);
        plain_http |= fetched.final_url().scheme() != "https";
        let answer = match parse_v1(&String::from_utf8_lossy(&fetched.body), &email) {
            Ok(answer) => answer,
            Err(reason) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::Failed(reason),
                    started,
                );
                return Attempt::Miss;
            }
        };
        match answer {
            V1Answer::RedirectUrl(next) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(format!("redirected to {next}")),
                    started,
                );
                match Url::parse(&next) {
                    Ok(next) if next.scheme() == "https" => {
                        if let Some(host) = next.host_str() {
                            reached.push((host.to_ascii_lowercase(), "AutoDiscover redirect"));
                        }
                        url = next;
                    }
                    _ => return Attempt::Miss,
                }
            }
            V1Answer::RedirectAddress(address) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(format!("redirected to the address {address}")),
                    started,
                );
                if let Some(other) = domain::email_domain(&address) {
                    reached.push((other, "AutoDiscover redirect"));
                }
                email = address;
            }
            V1Answer::Settings {
                imap: Some(imap),
                smtp: Some(smtp),
                ..
            } => {
                let provider = providers::by_mail_host(&imap.host);
                let mut sign_in = Vec::new();
                if let Some(oauth) = provider.and_then(|p| p.oauth.clone()) {
                    sign_in.push(SignIn::OAuth2(oauth));
                }
                sign_in.push(SignIn::Password);
                let candidate = Candidate {
                    source: Source::Autodiscover,
                    imap,
                    smtp,
                    sign_in,
                    provider: provider.map(|p| p.id),
                    provider_name: provider.map(|p| p.id.display_name().to_owned()),
                    verified,
                    plain_http,
                    reached_through: reached,
                };
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::Found(summary(&candidate)),
                    started,
                );
                return Attempt::Hit(candidate);
            }
            V1Answer::Settings { offered, .. } => {
                let reason = format!(
                    "offers {} but no encrypted IMAP and SMTP",
                    if offered.is_empty() {
                        "nothing".into()
                    } else {
                        offered.join(", ")
                    }
                );
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(reason),
                    started,
                );
                return Attempt::Miss;
            }
        }
    }
    Attempt::Miss
}

/// AutoDiscover v2: Microsoft's endpoint says whether the mailbox is in Exchange Online.
async fn ask_v2(context: &Context, url: Url) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = redact_query(&url);
    const V2: Detail = Detail::AutodiscoverV2Central;
    context.note_asked_microsoft();
    context.note_request(&url, V2, true).await;
    let fetched = match context.http.get(url).await {
        Ok(fetched) => {
            context.note_hops(&fetched, V2, true);
            fetched
        }
        Err(error) => {
            context.record(
                Source::Autodiscover,
                query,
                describe_http_error(&error),
                started,
            );
            return Attempt::Miss;
        }
    };
    let answer = match parse_v2(&fetched.body) {
        Ok(answer) => answer,
        Err(reason) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Failed(reason),
                started,
            );
            return Attempt::Miss;
        }
    };
    let Ok(target) = Url::parse(&answer.url) else {
        return Attempt::Miss;
    };
    let host = target.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(provider) = providers::by_mail_host(&host) {
        let candidate =
            provider_candidate(context, Source::Autodiscover, provider, true, Vec::new());
        context.record(
            Source::Autodiscover,
            query,
            Outcome::Found(format!(
                "mailbox is in {}; {}",
                provider.id.display_name(),
                summary(&candidate)
            )),
            started,
        );
        return Attempt::Hit(candidate);
    }
    context.record(
        Source::Autodiscover,
        query,
        Outcome::Found(format!("mailbox is on premises at {host}")),
        started,
    );
    if target.scheme() != "https" {
        return Attempt::Miss;
    }
    ask_v1(context, target, vec![(host, "AutoDiscover redirect")], true).await
}

/// Microsoft's central v2 service, asked only when [`microsoft::gate`] opens: the domain's DNS
/// says Microsoft, or the person did. Its host names are resolved meanwhile (a DNS question to
/// the resolver, no address), so a Microsoft domain waits no longer than before.
async fn ask_central(context: &Context, v2: Vec<Url>) -> Attempt<Candidate> {
    let prefetch = futures::future::join_all(
        microsoft::CENTRAL_HOSTS
            .iter()
            .map(|host| context.dns.ips(host)),
    );
    let (why, _) = futures::join!(microsoft::gate(context), prefetch);
    if why.is_none() {
        return Attempt::Miss;
    }
    let queries: Vec<BoxFuture<'_, Attempt<Candidate>>> = v2
        .into_iter()
        .map(|url| Box::pin(ask_v2(context, url)) as BoxFuture<'_, _>)
        .collect();
    first_by_preference(queries).await
}

/// The source "Exchange AutoDiscover": v2 at Microsoft first (for Microsoft mailboxes only), then
/// v1 at the domain's own addresses, its plain-HTTP redirect and its SRV record, all at once.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    let email = &context.email;
    let mut v2_first =
        Url::parse("https://autodiscover-s.outlook.com/autodiscover/autodiscover.json")
            .expect("valid");
    v2_first
        .query_pairs_mut()
        .append_pair("Email", email)
        .append_pair("Protocol", "AutodiscoverV1");
    let mut v2_second =
        Url::parse("https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/")
            .expect("valid");
    v2_second
        .path_segments_mut()
        .expect("base")
        .pop_if_empty()
        .push(email);
    v2_second
        .query_pairs_mut()
        .append_pair("Protocol", "AutodiscoverV1");

    let mut queries: Vec<BoxFuture<'_, Attempt<Candidate>>> =
        vec![Box::pin(ask_central(context, vec![v2_first, v2_second]))];
    if context.domain_queries_allowed(Source::Autodiscover) {
        let domain = &context.domain;
        for url in [
            format!("https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
            format!("https://{domain}/autodiscover/autodiscover.xml"),
        ] {
            let url = Url::parse(&url).expect("valid");
            queries.push(Box::pin(ask_v1(context, url, Vec::new(), true)));
        }
        queries.push(Box::pin(ask_http_redirect(context)));
        queries.push(Box::pin(ask_srv(context)));
    }
    first_by_preference(queries).await
}

/// The legacy form: plain HTTP GET to `autodiscover.<domain>`, used only for its redirect to HTTPS.
async fn ask_http_redirect(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let url = Url::parse(&format!(
        "http://autodiscover.{}/autodiscover/autodiscover.xml",
        context.domain
    ))
    .expect("valid");
    let query = format!("GET {url} (redirect only)");
    context
        .note_request(&url, Detail::AutodiscoverHttpRedirect, false)
        .await;
    match context.http.redirect_target(url).await {
        Ok(Some(target)) if target.scheme() == "https" => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Found(format!("redirects to {target}")),
                started,
            );
            let host = target.host_str().unwrap_or_default().to_ascii_lowercase();
            // The redirect came over plain HTTP: whoever is on the network chose the target, so
            // the answer is not verified and the target's domain is confirmed like any redirect.
            ask_v1(context, target, vec![(host, "plain-HTTP redirect")], false).await
        }
        Ok(Some(target)) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Failed(format!("redirects to the unencrypted {target}; refused")),
                started,
            );
            Attempt::Miss
        }
        Ok(None) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::NotFound("no redirect".into()),
                started,
            );
            Attempt::Miss
        }
        Err(error) => {
            context.record(
                Source::Autodiscover,
                query,
                describe_http_error(&error),
                started,
            );
            Attempt::Miss
        }
    }
}

/// AutoDiscover v1 at the host the `_autodiscover._tcp` SRV record names.
async fn ask_srv(context: &Context) -> Attempt<Candidate> {
    let name = format!("_autodiscover._tcp.{}", context.domain);
    let started = std::time::Instant::now();
    let lookup = context.autodiscover_srv().await;
    let Some(target) = srv::first_of(context, Source::Autodiscover, &name, lookup, started) else {
        return Attempt::Miss;
    };
    let Ok(url) = Url::parse(&format!(
        "https://{}:{}/autodiscover/autodiscover.xml",
        target.target, target.port
    )) else {
        return Attempt::Miss;
    };
    ask_v1(context, url, vec![(target.target, "SRV record")], true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_answers_are_read_and_garbage_refused() {
        let answer = parse_v2(br#"{"Protocol":"AutodiscoverV1","Url":"https://outlook.office365.com/autodiscover/autodiscover.xml"}"#).unwrap();
        assert_eq!(
            answer.url,
            "https://outlook.office365.com/autodiscover/autodiscover.xml"
        );
        assert!(parse_v2(b"<html>").is_err());
        assert!(parse_v2(br#"{"Protocol":"x","Url":"not a url"}"#).is_err());
        assert!(
            parse_v2(br#"{"ErrorCode":"InternalServerError","ErrorMessage":"Failed"}"#).is_err()
        );
    }

    #[test]
    fn v1_pox_settings_give_imap_and_smtp() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
  <Account>
   <AccountType>email</AccountType><Action>settings</Action>
   <Protocol><Type>IMAP</Type><Server>mail.adv1.test</Server><Port>993</Port><SSL>on</SSL><LoginName>%EMAILLOCALPART%</LoginName></Protocol>
   <Protocol><Type>SMTP</Type><Server>mail.adv1.test</Server><Port>587</Port><Encryption>TLS</Encryption></Protocol>
  </Account>
 </Response>
</Autodiscover>"#;
        let V1Answer::Settings { imap, smtp, .. } = parse_v1(xml, "jiro@adv1.test").unwrap() else {
            panic!()
        };
        let imap = imap.unwrap();
        assert_eq!(
            (imap.host.as_str(), imap.port, imap.security),
            ("mail.adv1.test", 993, Security::Tls)
        );
        assert_eq!(imap.username, "jiro");
        let smtp = smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (587, Security::StartTls));
        // SSL=on on a non-standard port is still implicit TLS; on 587 it is STARTTLS.
        let odd = xml
            .replace("<Port>993</Port>", "<Port>10993</Port>")
            .replace("<Encryption>TLS</Encryption>", "<SSL>on</SSL>");
        let V1Answer::Settings { imap, smtp, .. } = parse_v1(&odd, "jiro@adv1.test").unwrap()
        else {
            panic!()
        };
        assert_eq!(imap.unwrap().security, Security::Tls);
        assert_eq!(smtp.unwrap().security, Security::StartTls);
    }

    #[test]
    fn v1_plaintext_is_dropped_and_redirects_are_reported() {
        let plain = r#"<Autodiscover><Response><Account><Protocol><Type>IMAP</Type><Server>m.test</Server><Port>143</Port><SSL>off</SSL></Protocol></Account></Response></Autodiscover>"#;
        let V1Answer::Settings { imap, .. } = parse_v1(plain, "a@test.test").unwrap() else {
            panic!()
        };
        assert_eq!(imap, None);
        let redirect = r#"<Autodiscover><Response><Account><Action>redirectUrl</Action><RedirectUrl>https://ad.other.test/autodiscover/autodiscover.xml</RedirectUrl></Account></Response></Autodiscover>"#;
        assert_eq!(
            parse_v1(redirect, "a@x.test").unwrap(),
            V1Answer::RedirectUrl("https://ad.other.test/autodiscover/autodiscover.xml".into())
        );
        assert!(parse_v1("<Autodiscover><Response><Error><Message>no</Message></Error></Response></Autodiscover>", "a@x.test").is_err());
        assert!(parse_v1("garbage", "a@x.test").is_err());
    }

    #[test]
    fn the_request_escapes_the_address() {
        let body = v1_request("a<b>&c@example.test");
        assert!(
            body.contains("<EMailAddress>a&lt;b&gt;&amp;c@example.test</EMailAddress>"),
            "{body}"
        );
        assert!(roxmltree::Document::parse(&body).is_ok());
    }
}
