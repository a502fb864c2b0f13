//! The issuer of a certificate this computer does not trust, remembered per server name, so that a
//! refusal can name who signed what was presented (TLS inspection: "re-signed by the office's
//! inspection CA"). The platform verifier decides, unchanged; this only listens to its answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

static UNTRUSTED_ISSUERS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// The issuer named by the last untrusted certificate `host` presented.
pub fn untrusted_issuer(host: &str) -> Option<String> {
    UNTRUSTED_ISSUERS
        .lock()
        .ok()?
        .as_ref()?
        .get(&host.to_ascii_lowercase())
        .cloned()
}

fn remember(host: &str, issuer: String) {
    if let Ok(mut map) = UNTRUSTED_ISSUERS.lock() {
        map.get_or_insert_with(HashMap::new)
            .insert(host.to_ascii_lowercase(), issuer);
    }
}

/// Wraps the platform verifier: every decision is its own.
#[derive(Debug)]
pub struct IssuerRecording(pub Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for IssuerRecording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if let Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) = &verdict
            && let Some(issuer) = issuer_name(end_entity)
        {
            remember(&server_name.to_str(), issuer);
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.0.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.0.root_hint_subjects()
    }
}

/// One DER element: (tag, contents, what follows).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The issuer's common name (or, without one, its organisation) from a certificate's DER.
pub fn issuer_name(cert: &[u8]) -> Option<String> {
    let (_, certificate, _) = element(cert)?;
    let (_, mut tbs, _) = element(certificate)?;
    // [0] version (optional), serialNumber, signature algorithm, then the issuer.
    let (tag, _, rest) = element(tbs)?;
    if tag == 0xa0 {
        tbs = rest;
        let (_, _, rest) = element(tbs)?;
        tbs = rest;
    } else {
        tbs = rest;
    }
    let (_, _, rest) = element(tbs)?;
    let (_, mut issuer, _) = element(rest)?;
    let (mut common_name, mut organisation) = (None, None);
    while let Some((_, set, next)) = element(issuer) {
        issuer = next;
        let Some((_, attribute, _)) = element(set) else {
            continue;
        };
        let Some((0x06, oid, value)) = element(attribute) else {
            continue;
        };
        let Some((string_tag, bytes, _)) = element(value) else {
            continue;
        };
        let text = if string_tag == 0x1e {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        };
        match oid {
            [0x55, 0x04, 0x03] => common_name = Some(text),
            [0x55, 0x04, 0x0a] => organisation = Some(text),
            _ => {}
        }
    }
    common_name.or(organisation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_common_name_is_read_from_a_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["ca.test".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "Example Office TLS Inspection CA",
        );
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example Office");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params = rcgen::CertificateParams::new(vec!["mail.test".to_string()]).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::new(params, ca_key);
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        assert_eq!(
            issuer_name(leaf.der()).as_deref(),
            Some("Example Office TLS Inspection CA")
        );
        assert_eq!(issuer_name(b"\x30\x03\x02\x01"), None);
    }
}
