//! Keeping secrets out of logs, crash output and anything else a person might paste into a bug report.
//!
//! Two layers, because one mistake must not be enough to leak a token:
//! 1. Secrets travel in [`Secret`], whose `Debug` and `Display` print `[redacted]`, so putting one into
//!    a `tracing` field or an error message shows nothing.
//! 2. Every line Tayori logs passes [`redact`] before it is written: it blanks `Authorization`
//!    values, bearer tokens, SASL payloads (`AUTHENTICATE XOAUTH2 …`, `AUTH PLAIN …`, IMAP `LOGIN`
//!    passwords), OAuth parameters (`access_token`, `refresh_token`, `code`, `code_verifier`,
//!    `client_secret`, `password` …) in JSON, forms and query strings, and every value handed to
//!    [`register_secret`] (the live tokens and passwords of this process, held in memory only).

use std::borrow::Cow;
use std::fmt;
use std::sync::{LazyLock, RwLock};

use regex::{Captures, Regex};

/// What a blanked-out secret looks like in a log.
pub const REDACTED: &str = "[redacted]";

/// A secret string (token, password, SASL payload). Prints as `[redacted]`; read it with
/// [`Secret::expose`] only where it goes on the wire or into the keyring. While a `Secret` (or a
/// clone of it) lives, its value is blanked wherever it appears in a log; when the last one is
/// dropped the value is forgotten, so the registry holds the live secrets and no more.
pub struct Secret {
    value: String,
    /// Another form of the value that is just as secret (the base64 a SASL string travels in).
    wire_form: Option<String>,
}

/// A secret typed by the person (a password field's text) becomes a registered secret.
impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl Secret {
    /// Wraps a secret and registers it, so that even a careless `format!` of the raw value is blanked
    /// in logs.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register_secret(&value);
        Self {
            value,
            wire_form: None,
        }
    }

    /// Also blanks `form` — the same secret as it travels (base64) — for as long as this lives.
    pub fn with_wire_form(mut self, form: String) -> Self {
        register_secret(&form);
        if let Some(old) = self.wire_form.replace(form) {
            release_secret(&old);
        }
        self
    }

    /// The raw value, for the wire or the keyring — never for a log.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        register_secret(&self.value);
        if let Some(form) = &self.wire_form {
            register_secret(form);
        }
        Self {
            value: self.value.clone(),
            wire_form: self.wire_form.clone(),
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        release_secret(&self.value);
        if let Some(form) = &self.wire_form {
            release_secret(form);
        }
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The live secrets of this process, each with how many holders registered it, longest first.
static REGISTERED: RwLock<Vec<(String, usize)>> = RwLock::new(Vec::new());

/// Remembers a secret value of this process so [`redact`] blanks it wherever it appears, however
/// short (a six-character app password is a password too). Lives in memory only and dies with the
/// process; each call is undone by one [`release_secret`].
pub fn register_secret(value: &str) {
    if value.is_empty() {
        return;
    }
    let mut registered = REGISTERED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(entry) = registered.iter_mut().find(|(known, _)| known == value) {
        entry.1 += 1;
    } else {
        registered.push((value.to_owned(), 1));
        // Longest first, so a secret that contains another is blanked whole.
        registered.sort_by_key(|(known, _)| std::cmp::Reverse(known.len()));
    }
}

/// Undoes one [`register_secret`]: the value is forgotten when no holder is left.
pub fn release_secret(value: &str) {
    let mut registered = REGISTERED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(at) = registered.iter().position(|(known, _)| known == value) {
        registered[at].1 -= 1;
        if registered[at].1 == 0 {
            registered.remove(at);
        }
    }
}

/// Forgets a secret at once, whoever registered it (e.g. after sign-out).
pub fn unregister_secret(value: &str) {
    let mut registered = REGISTERED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    registered.retain(|(known, _)| known != value);
}

/// Parameter names whose values are secret in OAuth, forms and JSON bodies.
const SECRET_KEYS: &str = "access_token|refresh_token|id_token|code_verifier|client_secret|password|passwd|app_password|device_code|assertion|client_assertion|token|code|secret";

struct Rule {
    pattern: Regex,
    replace: fn(&Captures<'_>) -> String,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, replace: fn(&Captures<'_>) -> String| Rule {
        pattern: Regex::new(pattern).expect("redaction pattern is valid"),
        replace,
    };
    vec![
        // SASL: `AUTHENTICATE XOAUTH2 <b64>` (IMAP, SASL-IR) and `AUTH PLAIN <b64>` (SMTP).
        rule(
            r"(?i)\b(AUTHENTICATE|AUTH)(\s+)(XOAUTH2|OAUTHBEARER|PLAIN|LOGIN|CRAM-MD5|SCRAM-SHA-[0-9A-Z-]+)(\s+)[^\s]+",
            |c| format!("{}{}{}{}{REDACTED}", &c[1], &c[2], &c[3], &c[4]),
        ),
        // IMAP `LOGIN user password` (the command is upper case on the wire).
        rule(
            r#"\bLOGIN(\s+)("(?:[^"\\]|\\.)*"|\S+)(\s+)("(?:[^"\\]|\\.)*"|\S+)"#,
            |c| format!("LOGIN{}{}{}{REDACTED}", &c[1], &c[2], &c[3]),
        ),
        // `Authorization: …` headers, also as `authorization=…` or a JSON key.
        rule(
            r#"(?i)\b((?:proxy-)?authorization)("?\s*[:=]\s*"?)[^\r\n"]*"#,
            |c| format!("{}{}{REDACTED}", &c[1], &c[2]),
        ),
        // A bearer token anywhere (XOAUTH2's `auth=Bearer …`, a header printed some other way).
        rule(r"(?i)\b(bearer)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)", |c| {
            format!("{}{}{REDACTED}", &c[1], &c[2])
        }),
        // JSON: "access_token": "…"
        rule(
            &format!(r#"(?i)"({SECRET_KEYS})"(\s*:\s*)"(?:[^"\\]|\\.)*""#),
            |c| format!("\"{}\"{}\"{REDACTED}\"", &c[1], &c[2]),
        ),
        // Forms and query strings: access_token=…&code=…
        rule(&format!(r#"(?i)\b({SECRET_KEYS})=([^&\s"'<>]+)"#), |c| {
            format!("{}={REDACTED}", &c[1])
        }),
        // Plain text: `password: hunter22`
        rule(
            r"(?i)\b(password|passwd|app_password|secret|access_token|refresh_token)(\s*:\s+)(\S+)",
            |c| format!("{}{}{REDACTED}", &c[1], &c[2]),
        ),
    ]
});

/// Returns `text` with every secret blanked. Borrowed when there was nothing to blank.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.pattern.is_match(&out) {
            let replaced = rule.pattern.replace_all(&out, rule.replace).into_owned();
            out = Cow::Owned(replaced);
        }
    }
    let registered = REGISTERED
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (secret, _) in registered.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

/// How many characters of a server's own words are shown or kept.
pub const SERVER_TEXT_CHARS: usize = 300;

/// A server's sentence (an OAuth `error_description`) fit to print or keep: its line breaks and
/// runs of spaces are the server's layout (Entra ends its text with "\r\nTrace ID: …") and become
/// one space each, then [`server_text`] bounds and escapes the rest.
pub fn server_words(text: &str, max: usize) -> String {
    let mut collapsed = String::new();
    let (mut kept, mut space) = (0, false);
    for (index, c) in text.char_indices() {
        if kept > max {
            // Past the bound nothing is reshaped: server_text counts what is left.
            collapsed.push_str(&text[index..]);
            break;
        }
        if c.is_whitespace() {
            space = kept > 0;
            continue;
        }
        if std::mem::take(&mut space) {
            collapsed.push(' ');
            kept += 1;
        }
        collapsed.push(c);
        kept += 1;
    }
    server_text(&collapsed, max)
}

/// A server-supplied text made fit to print or keep: control characters (terminal escapes, line
/// breaks) shown escaped, and at most `max` characters (the rest counted, not kept). A hostile
/// server can send megabytes of "reason" with ANSI escapes; a person needs a sentence.
pub fn server_text(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (shown, (index, c)) in text.char_indices().enumerate() {
        if shown >= max {
            let rest = text[index..].chars().count();
            out.push_str(&format!("… ({rest} more characters)"));
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`server_text`] for bytes that may not be UTF-8.
pub fn server_bytes(bytes: &[u8], max: usize) -> String {
    let head = &bytes[..bytes.len().min(max.saturating_mul(4))];
    let mut text = server_text(&String::from_utf8_lossy(head), max);
    if head.len() < bytes.len() && !text.ends_with(')') {
        text.push_str(&format!("… ({} more bytes)", bytes.len() - head.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_words_are_one_line_bounded_and_escaped() {
        assert_eq!(
            server_words("AADSTS65001: Not consented.\r\nTrace ID: 1\r\n", 300),
            "AADSTS65001: Not consented. Trace ID: 1"
        );
        assert_eq!(server_words("  a\x1b[31m  b ", 300), "a\\u{1b}[31m b");
        let long = format!("x y {}", "z".repeat(1_000));
        assert_eq!(server_words(&long, 5), "x y z… (999 more characters)");
    }

    #[test]
    fn server_text_is_bounded_and_escaped() {
        let hostile = format!("bad\x1b[31m\r\n{}", "x".repeat(10_000_000));
        let shown = server_text(&hostile, 40);
        assert!(shown.len() < 120, "{shown}");
        assert!(!shown.contains('\x1b') && !shown.contains('\n'));
        assert!(shown.starts_with("bad\\u{1b}[31m\\r\\n"), "{shown}");
        assert!(shown.ends_with("more characters)"), "{shown}");
        assert_eq!(server_text("fine words", 40), "fine words");
        let bytes = server_bytes(&[b'a', 0xff, b'\n'], 40);
        assert_eq!(bytes, "a\u{fffd}\\n");
    }

    fn assert_blanked(input: &str, secret: &str) {
        let out = redact(input);
        assert!(
            !out.contains(secret),
            "secret {secret:?} survived in {out:?}"
        );
        assert!(out.contains(REDACTED), "nothing marked redacted in {out:?}");
    }

    #[test]
    fn authorization_headers_are_blanked() {
        assert_blanked(
            "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def",
            "eyJhbGciOiJSUzI1NiJ9",
        );
        assert_blanked(
            "authorization: Basic ZG92ZWNvdDpzZWNyZXQ=",
            "ZG92ZWNvdDpzZWNyZXQ=",
        );
        assert_blanked(
            r#"{"headers":{"authorization":"Bearer tok-123456789"}}"#,
            "tok-123456789",
        );
        assert_blanked("Proxy-Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz");
    }

    #[test]
    fn sasl_payloads_are_blanked() {
        let xoauth2 = "dXNlcj1hbGljZUBleGFtcGxlLnRlc3QBYXV0aD1CZWFyZXIgc2VjcmV0AQE=";
        assert_blanked(&format!("a1 AUTHENTICATE XOAUTH2 {xoauth2}"), xoauth2);
        assert_blanked(&format!("C: AUTH XOAUTH2 {xoauth2}"), xoauth2);
        assert_blanked(
            "AUTH PLAIN AGFsaWNlAGFwcC1wYXNzd29yZA==",
            "AGFsaWNlAGFwcC1wYXNzd29yZA==",
        );
        assert_blanked(
            "a2 authenticate oauthbearer bixhPWFsaWNlLAFh",
            "bixhPWFsaWNlLAFh",
        );
        assert_blanked(
            "user=alice@example.test\u{1}auth=Bearer ya29.a0AfB_byC\u{1}\u{1}",
            "ya29.a0AfB_byC",
        );
    }

    #[test]
    fn imap_login_password_is_blanked_but_user_kept() {
        let out = redact(r#"a1 LOGIN "alice@example.test" "s3cr3t pass""#);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(out.contains("alice@example.test"), "{out}");
        assert_blanked("a1 LOGIN alice hunter2hunter2", "hunter2hunter2");
    }

    #[test]
    fn oauth_parameters_are_blanked_in_json_forms_and_urls() {
        let json = r#"{"access_token":"at-9f8e7d6c","refresh_token":"rt-1a2b3c4d","token_type":"Bearer","expires_in":3600}"#;
        let out = redact(json);
        assert!(
            !out.contains("at-9f8e7d6c") && !out.contains("rt-1a2b3c4d"),
            "{out}"
        );
        assert!(
            out.contains(r#""expires_in":3600"#),
            "harmless fields stay readable: {out}"
        );

        let form = "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=dBjftJeZ4CVP&client_id=tayori";
        let out = redact(form);
        assert!(
            !out.contains("SplxlOBeZQQYbYS6WxSbIA") && !out.contains("dBjftJeZ4CVP"),
            "{out}"
        );
        assert!(
            out.contains("client_id=tayori"),
            "client ids are public: {out}"
        );

        assert_blanked(
            "GET /callback?code=abc123xyz&state=s1 HTTP/1.1",
            "abc123xyz",
        );
        assert_blanked(r#"{"client_secret": "sh-h-h-h"}"#, "sh-h-h-h");
        assert_blanked("password: hunter22", "hunter22");
    }

    #[test]
    fn registered_values_are_blanked_anywhere() {
        let token = "opaque-token-without-any-marker-7731";
        register_secret(token);
        assert_blanked(&format!("something printed {token} by accident"), token);
        unregister_secret(token);
        assert!(
            redact(&format!("x {token}")).contains(token),
            "unregister forgets the value"
        );
    }

    #[test]
    fn a_secret_is_blanked_while_it_lives_however_short_and_forgotten_after() {
        // A six-character app password is a password too; values unique to this test.
        let short = format!("k{}", std::process::id() % 97);
        let long = format!("live-token-{}-{}", std::process::id(), line!());
        let shown = |v: &str| redact(&format!("[{v}]")).contains(v);
        {
            let secret = Secret::new(short.clone());
            let wire = format!("{long}-b64");
            let held = Secret::new(long.clone()).with_wire_form(wire.clone());
            let copy = held.clone();
            assert!(!shown(&short), "a short secret is a secret too");
            drop(held);
            assert!(!shown(&long) && !shown(&wire), "the clone still lives");
            drop(copy);
            assert!(
                shown(&long) && shown(&wire),
                "forgotten with the last holder: the registry stays bounded"
            );
            drop(secret);
        }
        assert!(shown(&short));
        // A process that makes and drops many secrets (every refresh a new access token) keeps
        // no more than the live ones.
        let before = REGISTERED.read().unwrap().len();
        for n in 0..1000 {
            drop(Secret::new(format!(
                "access-token-{}-{n}",
                std::process::id()
            )));
        }
        assert!(REGISTERED.read().unwrap().len() <= before + 64);
    }

    #[test]
    fn secret_type_never_prints_its_value() {
        let secret = Secret::new("app-password-xyz-42");
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(secret.expose(), "app-password-xyz-42");
        // Creating it registered it, so even the raw value is blanked in a log line.
        assert_blanked("raw app-password-xyz-42 leaked", "app-password-xyz-42");
    }

    #[test]
    fn ordinary_log_lines_are_untouched() {
        for line in [
            "connected to imap.example.test:993 (TLS 1.3)",
            "authorization_endpoint is https://login.example/authorize",
            "basic authentication is disabled for this tenant",
            "discovery finished in 212 ms; source autoconfig",
            "status code 535 from smtp.office365.com",
        ] {
            assert!(matches!(redact(line), Cow::Borrowed(_)), "changed: {line}");
        }
    }
}
