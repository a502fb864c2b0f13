//! The Thunderbird autoconfig format (`config-v1.1.xml`), used by `autoconfig.<domain>`,
//! `/.well-known/autoconfig/` (draft-ietf-mailmaint-autoconfig) and the ISPDB.
//!
//! Parsed with roxmltree, which never fetches external entities or DTDs. The sources that fetch
//! it from the domain are at the end (`ask_https`, `ask_http`); the ISPDB (`ispdb`) fetches
//! the same format with `fetch_config`.

use std::time::Instant;

use crate::connections::Detail;
use url::Url;

use super::sources::{
    Attempt, BoxFuture, Context, any_plain_http_hop, describe_http_error, first_by_preference,
    hop_hosts, redact_query, summary,
};
use super::{
    Candidate, Endpoint, OAuthSettings, Outcome, Security, SignIn, Source, expand_username,
    providers,
};

/// How a server in the document is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketType {
    Ssl,
    StartTls,
    Plain,
}

/// One `<incomingServer>` or `<outgoingServer>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    /// `imap`, `pop3`, `smtp`, `ews`, …
    pub kind: String,
    pub hostname: String,
    pub port: Option<u16>,
    pub socket: SocketType,
    pub username: Option<String>,
    /// `password-cleartext`, `password-encrypted`, `OAuth2`, …
    pub authentication: Vec<String>,
}

/// The `<oAuth2>` element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OAuth2Element {
    pub issuer: Option<String>,
    pub scope: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
}

/// A parsed `<clientConfig>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub provider_id: Option<String>,
    pub display_name: Option<String>,
    pub domains: Vec<String>,
    pub incoming: Vec<ServerEntry>,
    pub outgoing: Vec<ServerEntry>,
    pub oauth2: Option<OAuth2Element>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoconfigError {
    #[error("not a valid XML document: {0}")]
    Xml(String),
    #[error("the document is not a <clientConfig>")]
    NotClientConfig,
    #[error("the provider offers no IMAP server (only {offered}); Tayori needs IMAP")]
    NoImap { offered: String },
    #[error(
        "the provider's IMAP server allows only unencrypted connections; Tayori never sends a password unencrypted"
    )]
    ImapOnlyPlaintext,
    #[error("the document names no SMTP server for sending")]
    NoSmtp,
    #[error(
        "the provider's SMTP server allows only unencrypted connections; Tayori never sends a password unencrypted"
    )]
    SmtpOnlyPlaintext,
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn server_entry(node: roxmltree::Node<'_, '_>) -> Option<ServerEntry> {
    let hostname = child_text(node, "hostname")?;
    let socket = match child_text(node, "socketType")
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("SSL") | Some("TLS") => SocketType::Ssl,
        Some("STARTTLS") => SocketType::StartTls,
        _ => SocketType::Plain,
    };
    Some(ServerEntry {
        kind: node
            .attribute("type")
            .unwrap_or_default()
            .to_ascii_lowercase(),
        hostname: hostname.to_ascii_lowercase(),
        port: child_text(node, "port").and_then(|p| p.parse().ok()),
        socket,
        username: child_text(node, "username"),
        authentication: node
            .children()
            .filter(|c| c.has_tag_name("authentication"))
            .filter_map(|c| c.text())
            .map(|t| t.trim().to_owned())
            .collect(),
    })
}

/// Parses a config-v1.1 document.
pub fn parse(xml: &str) -> Result<ClientConfig, AutoconfigError> {
    let document = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| AutoconfigError::Xml(e.to_string()))?;
    let root = document.root_element();
    if !root.has_tag_name("clientConfig") {
        return Err(AutoconfigError::NotClientConfig);
    }
    let provider = root
        .children()
        .find(|c| c.has_tag_name("emailProvider"))
        .ok_or(AutoconfigError::NotClientConfig)?;
    let oauth2 = root
        .children()
        .find(|c| c.has_tag_name("oAuth2"))
        .map(|o| OAuth2Element {
            issuer: child_text(o, "issuer"),
            scope: child_text(o, "scope"),
            auth_url: child_text(o, "authURL"),
            token_url: child_text(o, "tokenURL"),
        });
    Ok(ClientConfig {
        provider_id: provider.attribute("id").map(str::to_owned),
        display_name: child_text(provider, "displayName"),
        domains: provider
            .children()
            .filter(|c| c.has_tag_name("domain"))
            .filter_map(|c| c.text())
            .map(|t| t.trim().to_ascii_lowercase())
            .collect(),
        incoming: provider
            .children()
            .filter(|c| c.has_tag_name("incomingServer"))
            .filter_map(server_entry)
            .collect(),
        outgoing: provider
            .children()
            .filter(|c| c.has_tag_name("outgoingServer"))
            .filter_map(server_entry)
            .collect(),
        oauth2,
    })
}

/// What a client config offers for one email address: servers and sign-in methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub imap: Endpoint,
    pub smtp: Endpoint,
    pub sign_in: Vec<SignIn>,
}

fn endpoint(
    entry: &ServerEntry,
    email: &str,
    default_tls_port: u16,
    default_starttls_port: u16,
) -> Option<Endpoint> {
    let security = match entry.socket {
        SocketType::Ssl => Security::Tls,
        SocketType::StartTls => Security::StartTls,
        SocketType::Plain => return None,
    };
    let port = entry.port.unwrap_or(match security {
        Security::Tls => default_tls_port,
        Security::StartTls => default_starttls_port,
    });
    Some(Endpoint {
        host: expand_hostname(&entry.hostname, email),
        port,
        security,
        username: expand_username(entry.username.as_deref().unwrap_or("%EMAILADDRESS%"), email),
    })
}

/// A `<hostname>` with the domain placeholder filled in: some ISPDB entries name
/// `mail.%EMAILDOMAIN%` for every domain they host (inbox.lv, mail.ee, tiki.ne.jp …). Host names are
/// kept in lower case, so the placeholder is matched in any case.
fn expand_hostname(hostname: &str, email: &str) -> String {
    let domain = super::domain::email_domain(email).unwrap_or_default();
    let lower = hostname.to_ascii_lowercase();
    lower.replace("%emaildomain%", &domain)
}

/// Picks the servers for `email`: the first IMAP and SMTP entries with TLS or STARTTLS (documents list
/// the preferred one first), and the sign-in methods their `<authentication>` elements allow.
pub fn offer(config: &ClientConfig, email: &str) -> Result<Offer, AutoconfigError> {
    let imap_entries: Vec<_> = config
        .incoming
        .iter()
        .filter(|s| s.kind == "imap")
        .collect();
    if imap_entries.is_empty() {
        let mut offered: Vec<_> = config
            .incoming
            .iter()
            .map(|s| s.kind.to_ascii_uppercase())
            .collect();
        offered.dedup();
        return Err(AutoconfigError::NoImap {
            offered: if offered.is_empty() {
                "nothing".into()
            } else {
                offered.join(", ")
            },
        });
    }
    let (imap_entry, imap) = imap_entries
        .iter()
        .find_map(|e| endpoint(e, email, 993, 143).map(|ep| (*e, ep)))
        .ok_or(AutoconfigError::ImapOnlyPlaintext)?;
    let smtp_entries: Vec<_> = config
        .outgoing
        .iter()
        .filter(|s| s.kind == "smtp")
        .collect();
    if smtp_entries.is_empty() {
        return Err(AutoconfigError::NoSmtp);
    }
    let smtp = smtp_entries
        .iter()
        .find_map(|e| endpoint(e, email, 465, 587))
        .ok_or(AutoconfigError::SmtpOnlyPlaintext)?;

    let allows = |method: &str| {
        imap_entry
            .authentication
            .iter()
            .any(|a| a.eq_ignore_ascii_case(method))
    };
    let mut sign_in = Vec::new();
    if allows("OAuth2") {
        sign_in.push(SignIn::OAuth2(oauth_settings(
            config.oauth2.as_ref(),
            &imap.host,
        )));
    }
    if imap_entry.authentication.is_empty()
        || allows("password-cleartext")
        || allows("password-encrypted")
        || allows("plain")
    {
        sign_in.push(SignIn::Password);
    }
    if sign_in.is_empty() {
        // e.g. only NTLM/GSSAPI/client certificates: offer the password path and let the server decide.
        sign_in.push(SignIn::Password);
    }
    Ok(Offer {
        imap,
        smtp,
        sign_in,
    })
}

/// OAuth settings for the IMAP host: Tayori's provider table for the providers it knows (it carries the
/// scopes that work for both work and personal Microsoft accounts), else the document's `<oAuth2>`.
/// With neither, the issuer stays unknown and is learnt from the server's OAUTHBEARER failure hint.
fn oauth_settings(element: Option<&OAuth2Element>, imap_host: &str) -> OAuthSettings {
    if let Some(known) = providers::by_mail_host(imap_host).and_then(|p| p.oauth.clone()) {
        return known;
    }
    let Some(element) = element else {
        return OAuthSettings::default();
    };
    OAuthSettings {
        issuer: element.issuer.as_deref().map(|issuer| {
            if issuer.contains("://") {
                issuer.to_owned()
            } else {
                format!("https://{issuer}")
            }
        }),
        authorization_endpoint: element.auth_url.clone(),
        token_endpoint: element.token_url.clone(),
        scopes: element
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

/// A candidate from a parsed autoconfig document.
fn candidate_from_config(
    context: &Context,
    source: Source,
    config: &ClientConfig,
    verified: bool,
    plain_http: bool,
    reached_through: Vec<(String, &'static str)>,
) -> Result<Candidate, AutoconfigError> {
    let offer = offer(config, &context.email)?;
    let provider = providers::by_mail_host(&offer.imap.host);
    Ok(Candidate {
        source,
        provider: provider.map(|p| p.id),
        provider_name: config
            .display_name
            .clone()
            .or_else(|| provider.map(|p| p.id.display_name().to_owned())),
        imap: offer.imap,
        smtp: offer.smtp,
        sign_in: offer.sign_in,
        verified,
        plain_http,
        reached_through,
    })
}

/// What a request of an autoconfig-shaped source is for, as the connections record keeps it.
fn detail_of(source: Source) -> Detail {
    match source {
        Source::Ispdb => Detail::Ispdb,
        // `mx` asks the ISPDB for the domain of the domain's mail server.
        Source::Mx => Detail::IspdbForMx,
        Source::AutoconfigHttp => Detail::AutoconfigHttp,
        Source::Autodiscover => Detail::AutodiscoverV1,
        Source::Autoconfig
        | Source::AdminPolicy
        | Source::KnownProvider
        | Source::Srv
        | Source::Guess => Detail::Autoconfig,
    }
}

/// Fetches and reads one autoconfig document.
pub(super) async fn fetch_config(
    context: &Context,
    source: Source,
    url: Url,
    verified: bool,
    extra: Vec<(String, &'static str)>,
) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = redact_query(&url);
    context.note_request(&url, detail_of(source), false).await;
    let fetched = match context.http.get(url).await {
        Ok(fetched) => {
            context.note_hops(&fetched, detail_of(source), false);
            fetched
        }
        Err(error) => {
            context.record(source, query, describe_http_error(&error), started);
            return Attempt::Miss;
        }
    };
    let text = String::from_utf8_lossy(&fetched.body);
    let config = match parse(&text) {
        Ok(config) => config,
        Err(error) => {
            context.record(
                source,
                query,
                Outcome::Failed(format!("unusable document: {error}")),
                started,
            );
            return Attempt::Miss;
        }
    };
    let mut reached = extra;
    reached.extend(hop_hosts(&fetched));
    // One plain-HTTP hop anywhere is enough for someone on the network to have chosen the answer.
    let verified = verified && !any_plain_http_hop(&fetched);
    let plain_http = fetched.final_url().scheme() != "https";
    match candidate_from_config(context, source, &config, verified, plain_http, reached) {
        Ok(candidate) => {
            context.record(source, query, Outcome::Found(summary(&candidate)), started);
            Attempt::Hit(candidate)
        }
        Err(error) => {
            context.record(source, query, Outcome::NotFound(error.to_string()), started);
            match error {
                AutoconfigError::NoImap { .. }
                | AutoconfigError::ImapOnlyPlaintext
                | AutoconfigError::SmtpOnlyPlaintext => Attempt::Unsupported(error.to_string()),
                _ => Attempt::Miss,
            }
        }
    }
}

/// The two places a domain publishes its autoconfig document. `autoconfig.<domain>` may tailor its
/// answer to the address (`emailaddress=`), which it is given only over HTTPS: over plain HTTP
/// anyone on the way would read it.
fn urls(context: &Context, scheme: &str) -> Vec<Url> {
    let domain = &context.domain;
    let mut first = Url::parse(&format!(
        "{scheme}://autoconfig.{domain}/mail/config-v1.1.xml"
    ))
    .expect("valid URL");
    if scheme == "https" {
        first
            .query_pairs_mut()
            .append_pair("emailaddress", &context.email);
    }
    let second = Url::parse(&format!(
        "{scheme}://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"
    ))
    .expect("valid URL");
    vec![first, second]
}

/// The source "autoconfig over HTTPS": both addresses at once, `autoconfig.<domain>` preferred.
pub(super) async fn ask_https(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Autoconfig) {
        return Attempt::Miss;
    }
    let queries = urls(context, "https")
        .into_iter()
        .map(|url| {
            Box::pin(fetch_config(
                context,
                Source::Autoconfig,
                url,
                true,
                Vec::new(),
            )) as BoxFuture<'_, _>
        })
        .collect();
    first_by_preference(queries).await
}

/// The source "autoconfig over plain HTTP" (legacy): only `autoconfig.<domain>`, never verified.
pub(super) async fn ask_http(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::AutoconfigHttp) {
        return Attempt::Miss;
    }
    let url = urls(context, "http").swap_remove(0);
    fetch_config(context, Source::AutoconfigHttp, url, false, Vec::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example</displayName>
    <incomingServer type="pop3"><hostname>pop.example.test</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
    <incomingServer type="imap">
      <hostname>IMAP.example.test</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
  <oAuth2>
    <issuer>auth.example.test</issuer>
    <scope>mail offline_access</scope>
    <authURL>https://auth.example.test/authorize</authURL>
    <tokenURL>https://auth.example.test/token</tokenURL>
  </oAuth2>
</clientConfig>"#;

    #[test]
    fn a_full_document_gives_servers_username_and_oauth() {
        let config = parse(EXAMPLE).unwrap();
        assert_eq!(config.domains, ["example.test"]);
        let offer = offer(&config, "Taro.Yamada@example.test").unwrap();
        assert_eq!(offer.imap.host, "imap.example.test");
        assert_eq!((offer.imap.port, offer.imap.security), (993, Security::Tls));
        assert_eq!(offer.imap.username, "Taro.Yamada");
        assert_eq!(
            (offer.smtp.port, offer.smtp.security),
            (587, Security::StartTls)
        );
        assert_eq!(offer.smtp.username, "Taro.Yamada@example.test");
        let SignIn::OAuth2(oauth) = &offer.sign_in[0] else {
            panic!("OAuth first: {:?}", offer.sign_in)
        };
        assert_eq!(oauth.issuer.as_deref(), Some("https://auth.example.test"));
        assert_eq!(
            oauth.token_endpoint.as_deref(),
            Some("https://auth.example.test/token")
        );
        assert_eq!(oauth.scopes, ["mail", "offline_access"]);
        assert_eq!(offer.sign_in[1], SignIn::Password);
    }

    #[test]
    fn the_domain_placeholder_in_a_host_name_is_filled_in() {
        let doc = EXAMPLE
            .replace("IMAP.example.test", "mail.%EMAILDOMAIN%")
            .replace("smtp.example.test", "smtp.%emaildomain%");
        let offer = offer(&parse(&doc).unwrap(), "a@Customer.Example").unwrap();
        assert_eq!(offer.imap.host, "mail.customer.example");
        assert_eq!(offer.smtp.host, "smtp.customer.example");
    }

    #[test]
    fn plaintext_only_and_pop_only_are_refused_with_reasons() {
        let plain = EXAMPLE.replace(
            "<socketType>SSL</socketType>\n      <username>",
            "<socketType>plain</socketType>\n      <username>",
        );
        assert_eq!(
            offer(&parse(&plain).unwrap(), "a@example.test"),
            Err(AutoconfigError::ImapOnlyPlaintext)
        );
        let pop_only = EXAMPLE.replace("type=\"imap\"", "type=\"pop3\"");
        let err = offer(&parse(&pop_only).unwrap(), "a@example.test").unwrap_err();
        assert_eq!(
            err,
            AutoconfigError::NoImap {
                offered: "POP3".into()
            }
        );
    }

    #[test]
    fn malformed_and_hostile_xml_is_an_error_not_a_panic() {
        for bad in [
            "",
            "not xml",
            "<clientConfig><emailProvider>",
            "<html><body>404</body></html>",
            r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><clientConfig><emailProvider>&e;</emailProvider></clientConfig>"#,
            r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><clientConfig>&lol2;</clientConfig>"#,
        ] {
            assert!(parse(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn microsoft_oauth_without_full_element_is_completed_from_the_provider_table() {
        let doc = r#"<clientConfig><emailProvider id="x"><domain>x.test</domain>
          <incomingServer type="imap"><hostname>outlook.office365.com</hostname><port>993</port><socketType>SSL</socketType><authentication>OAuth2</authentication></incomingServer>
          <outgoingServer type="smtp"><hostname>smtp.office365.com</hostname><port>587</port><socketType>STARTTLS</socketType><authentication>OAuth2</authentication></outgoingServer>
          </emailProvider></clientConfig>"#;
        let offer = offer(&parse(doc).unwrap(), "a@x.test").unwrap();
        let SignIn::OAuth2(oauth) = &offer.sign_in[0] else {
            panic!()
        };
        assert!(
            oauth
                .scopes
                .iter()
                .any(|s| s == "https://outlook.office.com/IMAP.AccessAsUser.All"),
            "{oauth:?}"
        );
        assert!(
            oauth
                .authorization_endpoint
                .as_deref()
                .unwrap()
                .starts_with("https://login.microsoftonline.com/")
        );
    }
}
