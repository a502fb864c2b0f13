//! Domain names and the rule that keeps discovery from walking up to a public suffix.
//!
//! In 2021 clients that tried `autodiscover.<parent>` up the tree sent hundreds of thousands of
//! passwords to whoever registered `autodiscover.com.br` and friends. Tayori queries only the email's
//! own domain and names below it, and never a domain that is itself a public suffix.

/// The lower-cased, IDNA-encoded domain of an email address; `None` if it is not an address.
pub fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if local.is_empty() || local.contains(char::is_whitespace) || domain.is_empty() {
        return None;
    }
    match url::Host::parse(domain).ok()? {
        url::Host::Domain(ascii)
            if ascii.contains('.') && !ascii.starts_with('.') && !ascii.ends_with('.') =>
        {
            Some(ascii.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The registrable domain ("eTLD+1") of a host: `mail.example.co.jp` → `example.co.jp`.
/// `None` for a public suffix itself (`co.jp`, `com`) or an IP address.
pub fn registrable(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    psl::domain_str(&host).map(str::to_owned)
}

/// Whether discovery may send a query for `name` on behalf of an address at `email_domain`: only the
/// domain itself or a name below it, and only if the domain is not a public suffix.
pub fn may_query(name: &str, email_domain: &str) -> bool {
    if registrable(email_domain).is_none() {
        return false;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == email_domain || name.ends_with(&format!(".{email_domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domains_are_normalised() {
        assert_eq!(
            email_domain("Taro@Example.CO.JP").as_deref(),
            Some("example.co.jp")
        );
        assert_eq!(
            email_domain("user@bücher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(email_domain(" a@b.test ").as_deref(), Some("b.test"));
        for bad in [
            "",
            "no-at-sign",
            "@example.com",
            "a@",
            "a@localhost",
            "a@[127.0.0.1]",
            "a b@example.com",
            "a@.example.com",
        ] {
            assert_eq!(email_domain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(
            registrable("mail.example.co.jp").as_deref(),
            Some("example.co.jp")
        );
        assert_eq!(
            registrable("autodiscover.example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            registrable("x.y.example.test").as_deref(),
            Some("example.test")
        );
        assert_eq!(registrable("co.jp"), None);
        assert_eq!(registrable("com"), None);
        assert_eq!(registrable("127.0.0.1"), None);
    }

    #[test]
    fn nothing_above_the_registrable_domain_or_on_a_public_suffix_is_queried() {
        assert!(may_query("autodiscover.example.co.jp", "example.co.jp"));
        assert!(may_query("example.co.jp", "example.co.jp"));
        assert!(may_query(
            "autoconfig.sales.example.com",
            "sales.example.com"
        ));
        // Walking up from a subdomain is what leaked credentials in 2021.
        assert!(!may_query("autodiscover.example.com", "sales.example.com"));
        assert!(!may_query("autodiscover.co.jp", "example.co.jp"));
        assert!(!may_query("autodiscover.com.br", "empresa.com.br"));
        // An address directly at a public suffix gets no domain-based queries at all.
        assert!(!may_query("autodiscover.co.jp", "co.jp"));
        assert!(!may_query("co.jp", "co.jp"));
        // Look-alikes are not "below".
        assert!(!may_query("evilexample.co.jp", "example.co.jp"));
    }
}
