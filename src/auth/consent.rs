//! Admin consent at Microsoft Entra: where a tenant has not approved the app (AADSTS65001, 90094,
//! 90095), only an administrator can, once for everyone, at
//! `https://login.microsoftonline.com/{tenant}/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…`
//! (Microsoft identity platform, "Admin consent on the Microsoft identity platform"). Tayori shows
//! that link for the person's tenant and the app's client id, ready to copy or mail to the admin.

use url::Url;

use super::flow::OAuthClient;

/// Entra's authorities that stand for many tenants (a link needs the person's own).
const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];
/// Scopes every app gets without consent; the link asks for the mail permissions.
const SIGN_IN_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];
/// The redirect URI every desktop registration of Tayori carries (README, "Signing in"). After the
/// admin approves, Entra sends the browser there; nothing needs to listen.
const ADMIN_CONSENT_REDIRECT: &str = "http://localhost/";

/// The tenant in an Entra endpoint (`https://host/{tenant}/oauth2/v2.0/…`), unless it is one of the
/// multi-tenant authorities; `None` for an endpoint that is not Entra-shaped.
fn tenant_in(endpoint: &str) -> Option<(Url, Option<String>)> {
    let url = Url::parse(endpoint).ok()?;
    let segments: Vec<&str> = url.path_segments()?.collect();
    if segments.len() < 4 || segments[1..3] != ["oauth2", "v2.0"] {
        return None;
    }
    let tenant = segments[0].to_ascii_lowercase();
    let tenant = (!MULTI_TENANT.contains(&tenant.as_str())).then_some(tenant);
    Some((url, tenant))
}

/// The admin-consent link for `client` in the tenant of `email` — the tenant Tayori learned, or
/// the address's domain (Entra accepts a tenant's verified domain in place of its id). `None` where
/// the sign-in service is not Entra.
pub fn admin_consent_url(client: &OAuthClient, email: &str) -> Option<String> {
    admin_consent_url_with(client, email, &[])
}

/// [`admin_consent_url`] that also names `extra` scopes (Microsoft Graph's, for sending through
/// Microsoft 365): the v2 admin-consent endpoint grants exactly the scopes it names.
pub fn admin_consent_url_with(client: &OAuthClient, email: &str, extra: &[&str]) -> Option<String> {
    let (endpoint, learned) =
        tenant_in(&client.authorization_endpoint).or_else(|| tenant_in(&client.token_endpoint))?;
    let tenant = match learned {
        Some(tenant) => tenant,
        None => {
            let domain = email.rsplit_once('@')?.1.trim().to_ascii_lowercase();
            if domain.is_empty()
                || !domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
            {
                return None;
            }
            domain
        }
    };
    let mut scopes: Vec<&str> = client
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !SIGN_IN_SCOPES.contains(s))
        .collect();
    if scopes.is_empty() {
        scopes.push("https://outlook.office.com/.default");
    }
    for scope in extra {
        if !scopes.contains(scope) {
            scopes.push(scope);
        }
    }
    let mut link = Url::parse(&endpoint.origin().ascii_serialization()).ok()?;
    link.set_path(&format!("/{tenant}/v2.0/adminconsent"));
    link.query_pairs_mut()
        .append_pair("client_id", &client.client_id)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("redirect_uri", ADMIN_CONSENT_REDIRECT);
    Some(link.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(authority: &str, host: &str) -> OAuthClient {
        OAuthClient {
            client_id: "7a3e0000-0000-4000-8000-00000000a001".into(),
            authorization_endpoint: format!("https://{host}/{authority}/oauth2/v2.0/authorize"),
            token_endpoint: format!("https://{host}/{authority}/oauth2/v2.0/token"),
            issuer: None,
            iss_required: false,
            scopes: vec![
                "https://outlook.office.com/IMAP.AccessAsUser.All".into(),
                "https://outlook.office.com/SMTP.Send".into(),
                "offline_access".into(),
                "openid".into(),
            ],
            client_secret: None,
        }
    }

    #[test]
    fn the_link_names_the_tenant_the_client_and_the_mail_permissions() {
        let link = admin_consent_url(
            &client("common", "login.microsoftonline.com"),
            "t03@Contoso.com",
        )
        .unwrap();
        assert!(
            link.starts_with("https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=7a3e0000-0000-4000-8000-00000000a001&scope="),
            "{link}"
        );
        assert!(link.contains("IMAP.AccessAsUser.All") && link.contains("SMTP.Send"));
        assert!(!link.contains("offline_access") && !link.contains("openid"));
        assert!(!link.contains(' '), "one word, ready to copy: {link}");
        let tid = "aaaabbbb-0000-4fab-8000-000000000002";
        let learned =
            admin_consent_url(&client(tid, "login.microsoftonline.us"), "a@fabrikam.com").unwrap();
        assert!(
            learned.starts_with(&format!(
                "https://login.microsoftonline.us/{tid}/v2.0/adminconsent?"
            )),
            "the learned tenant, at the client's own cloud: {learned}"
        );
    }

    #[test]
    fn no_link_where_the_service_is_not_entra_or_the_address_is_odd() {
        let mut google = client("common", "accounts.google.com");
        google.authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth".into();
        google.token_endpoint = "https://oauth2.googleapis.com/token".into();
        assert_eq!(admin_consent_url(&google, "a@gmail.com"), None);
        assert_eq!(
            admin_consent_url(
                &client("common", "login.microsoftonline.com"),
                "a@evil/../x"
            ),
            None
        );
    }
}
