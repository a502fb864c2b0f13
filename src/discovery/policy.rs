//! The admin-provisioned configuration: a TOML file an organisation deploys (by MDM, GPO or a
//! package) that fixes the servers and sign-in for its domains. It beats every other source.
//!
//! ```toml
//! [[provider]]
//! name = "Example Corp"
//! domains = ["example.com", "*.example.com"]
//! imap = { host = "imap.example.com", port = 993, security = "tls" }
//! smtp = { host = "smtp.example.com", port = 587, security = "starttls" }
//! username = "%EMAILADDRESS%"        # optional, the default
//! sign_in = ["oauth2", "password"]   # allowed methods, most preferred first
//! transport = "graph"                # optional, Microsoft 365 only: send and read through Graph
//!                                    # ("imap": always IMAP/SMTP; unset: SMTP, Graph where
//!                                    # Exchange Online refuses SMTP AUTH)
//!
//! [provider.oauth2]                  # optional; e.g. the organisation's own Entra app registration
//! issuer = "https://login.microsoftonline.com/<tenant-id>/v2.0"
//! authorization_endpoint = "https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/authorize"
//! token_endpoint = "https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token"
//! scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
//! client_id = "<application id>"
//! ```

use std::path::Path;
use std::time::Instant;

use serde::Deserialize;

use super::sources::{Attempt, Context, summary};
use super::{
    Candidate, Endpoint, OAuthSettings, Outcome, Security, SignIn, Source, expand_username,
    providers,
};

/// The policy file's location lives in `config` (net reads its `[proxy]` table too).
pub use crate::config::{POLICY_FILE_ENV, default_policy_file};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default, rename = "provider")]
    pub providers: Vec<PolicyProvider>,
    /// The organisation's proxy (issue 26); see `net::proxy`.
    #[serde(default)]
    pub proxy: Option<crate::net::proxy::PolicyProxy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyMethod {
    Oauth2,
    Password,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOAuth {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The organisation's own app registration (used by sign-in).
    pub client_id: Option<String>,
    /// Sign in with a code on another device (RFC 8628) instead of the browser on this computer —
    /// for remote desktops, VDI and kiosks where the browser cannot reach Tayori's loopback address.
    #[serde(default)]
    pub device_code: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyProvider {
    pub name: Option<String>,
    pub domains: Vec<String>,
    pub imap: PolicyServer,
    pub smtp: PolicyServer,
    pub username: Option<String>,
    #[serde(default = "default_methods")]
    pub sign_in: Vec<PolicyMethod>,
    pub oauth2: Option<PolicyOAuth>,
    /// Microsoft 365: the way mail goes out, pinned by the administrator.
    #[serde(default)]
    pub transport: Option<PolicyTransport>,
}

/// The protocol family an administrator pins for Microsoft 365 mailboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyTransport {
    /// Microsoft Graph, for sending and reading.
    Graph,
    /// IMAP and SMTP only, even where SMTP AUTH is refused.
    Imap,
}

/// The transport the administrator's policy pins for `email`'s domain, if any (no policy file,
/// or one that cannot be read, pins nothing: the file's own problems are told by discovery).
pub fn transport_for(email: &str) -> Option<PolicyTransport> {
    let path = crate::config::policy_file_for_process()?;
    let policy = Policy::load(&path).ok()??;
    let domain = email.rsplit_once('@')?.1.to_ascii_lowercase();
    policy.for_domain(&domain)?.transport
}

fn default_methods() -> Vec<PolicyMethod> {
    vec![PolicyMethod::Oauth2, PolicyMethod::Password]
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the admin policy file {path} could not be read: {reason}")]
    Read { path: String, reason: String },
    #[error(
        "the admin policy file {path} is not valid: {reason}. Ask your administrator to correct it."
    )]
    Invalid { path: String, reason: String },
}

impl Policy {
    /// Reads the policy; `Ok(None)` when there is no file (the normal case at home).
    pub fn load(path: &Path) -> Result<Option<Policy>, PolicyError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PolicyError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| PolicyError::Invalid {
                path: path.display().to_string(),
                reason: e.message().to_owned(),
            })
    }

    /// The entry for an email domain: an exact `domains` match, or `*.parent` for subdomains.
    pub fn for_domain(&self, domain: &str) -> Option<&PolicyProvider> {
        self.providers.iter().find(|p| {
            p.domains.iter().any(|pattern| {
                let pattern = pattern.to_ascii_lowercase();
                match pattern.strip_prefix("*.") {
                    Some(parent) => domain.ends_with(&format!(".{parent}")),
                    None => pattern == domain,
                }
            })
        })
    }
}

impl PolicyProvider {
    pub fn endpoints(&self, email: &str) -> (Endpoint, Endpoint) {
        let username = expand_username(self.username.as_deref().unwrap_or("%EMAILADDRESS%"), email);
        let endpoint = |server: &PolicyServer| Endpoint {
            host: server.host.to_ascii_lowercase(),
            port: server.port,
            security: server.security,
            username: username.clone(),
        };
        (endpoint(&self.imap), endpoint(&self.smtp))
    }

    pub fn sign_in(&self) -> Vec<SignIn> {
        self.sign_in
            .iter()
            .map(|method| match method {
                PolicyMethod::Oauth2 => SignIn::OAuth2(
                    self.oauth2
                        .as_ref()
                        .map(|o| OAuthSettings {
                            issuer: o.issuer.clone(),
                            authorization_endpoint: o.authorization_endpoint.clone(),
                            token_endpoint: o.token_endpoint.clone(),
                            scopes: o.scopes.clone(),
                        })
                        .unwrap_or_default(),
                ),
                PolicyMethod::Password => SignIn::Password,
            })
            .collect()
    }
}

/// The source "admin policy": the entry for the email's domain in the policy file, if any.
pub(super) async fn ask(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let Some(path) = &context.options.policy_file else {
        return Attempt::Miss;
    };
    let query = path.display().to_string();
    let policy = match Policy::load(path) {
        Ok(Some(policy)) => policy,
        Ok(None) => {
            context.record(
                Source::AdminPolicy,
                query,
                Outcome::NotFound("no policy file".into()),
                started,
            );
            return Attempt::Miss;
        }
        Err(error) => {
            context.record(
                Source::AdminPolicy,
                query,
                Outcome::Failed(error.to_string()),
                started,
            );
            return Attempt::Miss;
        }
    };
    let Some(entry) = policy.for_domain(&context.domain) else {
        context.record(
            Source::AdminPolicy,
            query,
            Outcome::NotFound(format!("no entry for {}", context.domain)),
            started,
        );
        return Attempt::Miss;
    };
    let (imap, smtp) = entry.endpoints(&context.email);
    let provider = providers::by_mail_host(&imap.host);
    let candidate = Candidate {
        source: Source::AdminPolicy,
        provider: provider.map(|p| p.id),
        provider_name: entry.name.clone(),
        imap,
        smtp,
        sign_in: entry.sign_in(),
        verified: true,
        plain_http: false,
        reached_through: Vec::new(),
    };
    context.record(
        Source::AdminPolicy,
        query,
        Outcome::Found(summary(&candidate)),
        started,
    );
    Attempt::Hit(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
[[provider]]
name = "Example Corp"
domains = ["corp.example", "*.corp.example"]
imap = { host = "IMAP.corp.example", port = 993, security = "tls" }
smtp = { host = "smtp.corp.example", port = 587, security = "starttls" }
sign_in = ["oauth2"]
[provider.oauth2]
issuer = "https://login.microsoftonline.com/0000-tenant/v2.0"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All"]
client_id = "11111111-2222-3333-4444-555555555555"
"#;

    #[test]
    fn a_policy_matches_its_domains_and_subdomains_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, POLICY).unwrap();
        let policy = Policy::load(&path).unwrap().unwrap();
        assert!(policy.for_domain("corp.example").is_some());
        assert!(policy.for_domain("tokyo.corp.example").is_some());
        assert!(policy.for_domain("evilcorp.example").is_none());
        let entry = policy.for_domain("corp.example").unwrap();
        let (imap, smtp) = entry.endpoints("a@corp.example");
        assert_eq!(
            (imap.host.as_str(), imap.security),
            ("imap.corp.example", Security::Tls)
        );
        assert_eq!(smtp.security, Security::StartTls);
        let methods = entry.sign_in();
        let [SignIn::OAuth2(oauth)] = methods.as_slice() else {
            panic!("only OAuth allowed")
        };
        assert!(oauth.issuer.as_deref().unwrap().contains("0000-tenant"));
    }

    #[test]
    fn a_missing_file_is_no_policy_and_a_broken_one_says_where() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Policy::load(&dir.path().join("absent.toml"))
                .unwrap()
                .is_none()
        );
        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "[[provider]]\ndomains = 5\n").unwrap();
        let err = Policy::load(&broken).unwrap_err();
        assert!(
            err.to_string().contains("broken.toml") && err.to_string().contains("administrator"),
            "{err}"
        );
        let plaintext = dir.path().join("plain.toml");
        std::fs::write(&plaintext, POLICY.replace("\"tls\"", "\"plain\"")).unwrap();
        assert!(
            Policy::load(&plaintext).is_err(),
            "a plaintext server cannot even be written down"
        );
    }
}
