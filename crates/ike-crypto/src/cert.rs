//! X.509 certificates for IKEv2 signature authentication: identity binding and path validation.
//!
//! - [`Certificate`] parses a DER certificate once (x509-parser) and keeps what IKE needs: the
//!   SubjectPublicKeyInfo (to verify AUTH with [`crate::sig::verify_auth`]), the subject DN and the
//!   subjectAltName entries that may vouch for an IKE identity
//!   (<https://www.rfc-editor.org/rfc/rfc4945#section-3.1>).
//! - [`TrustAnchors`] validates a peer's chain to configured CAs with rustls-webpki (signatures
//!   on aws-lc-rs), with the IKE profile of RFC 4945 §5.1.3.2 and §5.1.3.12 for keyUsage and
//!   extendedKeyUsage.
//!
//! Time is always passed in (`unix_time`): this crate never reads the clock.

use core::time::Duration;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ike_wire::IdType;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter, KeyUsage,
    RequiredEkuNotFoundContext,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::error::CryptoError;

/// A parsed X.509 certificate (DER kept verbatim, as received in a CERT payload).
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    subject: Vec<u8>,
    spki: Vec<u8>,
    dns_names: Vec<String>,
    rfc822_names: Vec<String>,
    ip_addrs: Vec<IpAddr>,
    not_before: i64,
    not_after: i64,
    /// keyUsage absent, or it has digitalSignature or nonRepudiation (RFC 4945 §5.1.3.2).
    key_usage_allows_signing: bool,
}

impl core::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Certificate")
            .field("dns_names", &self.dns_names)
            .field("rfc822_names", &self.rfc822_names)
            .field("ip_addrs", &self.ip_addrs)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

fn cert_err(what: impl core::fmt::Display) -> CryptoError {
    CryptoError::Certificate(what.to_string())
}

impl Certificate {
    /// Parse one DER certificate. Trailing octets after it are an error.
    pub fn from_der(der: Vec<u8>) -> Result<Self, CryptoError> {
        let (rest, x509) = X509Certificate::from_der(&der)
            .map_err(|e| cert_err(format_args!("cannot parse certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(cert_err("trailing octets after certificate"));
        }
        let mut dns_names = Vec::new();
        let mut rfc822_names = Vec::new();
        let mut ip_addrs = Vec::new();
        let san = x509
            .subject_alternative_name()
            .map_err(|e| cert_err(format_args!("bad subjectAltName: {e}")))?;
        if let Some(san) = san {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => dns_names.push((*n).to_owned()),
                    GeneralName::RFC822Name(n) => rfc822_names.push((*n).to_owned()),
                    GeneralName::IPAddress(b) => {
                        // Name constraints use 8/32-octet address+mask forms; a SAN is an address.
                        if let Ok(a) = <[u8; 4]>::try_from(*b) {
                            ip_addrs.push(IpAddr::V4(Ipv4Addr::from(a)));
                        } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                            ip_addrs.push(IpAddr::V6(Ipv6Addr::from(a)));
                        }
                    }
                    _ => {}
                }
            }
        }
        let key_usage_allows_signing = match x509
            .key_usage()
            .map_err(|e| cert_err(format_args!("bad keyUsage: {e}")))?
        {
            None => true,
            Some(ku) => ku.value.digital_signature() || ku.value.non_repudiation(),
        };
        let validity = x509.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let subject = x509.subject().as_raw().to_vec();
        let spki = x509.public_key().raw.to_vec();
        Ok(Self {
            der,
            subject,
            spki,
            dns_names,
            rfc822_names,
            ip_addrs,
            not_before,
            not_after,
            key_usage_allows_signing,
        })
    }

    /// Parse every `CERTIFICATE` block of a PEM text, in order (end entity first, by
    /// convention). Input with no certificate is an error.
    pub fn from_pem(pem: &str) -> Result<Vec<Self>, CryptoError> {
        let mut out = Vec::new();
        for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let der = der.map_err(|e| cert_err(format_args!("bad PEM: {e}")))?;
            out.push(Self::from_der(der.as_ref().to_vec())?);
        }
        if out.is_empty() {
            return Err(cert_err("no CERTIFICATE block in PEM input"));
        }
        Ok(out)
    }

    /// The certificate as DER (what goes into a CERT payload with encoding 4).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The SubjectPublicKeyInfo, DER: the key that verifies the holder's AUTH.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The subject Name, DER (the form of an ID_DER_ASN1_DN identity).
    pub fn subject_der(&self) -> &[u8] {
        &self.subject
    }

    /// subjectAltName dNSName entries, as written in the certificate.
    pub fn dns_names(&self) -> &[String] {
        &self.dns_names
    }

    /// subjectAltName rfc822Name entries.
    pub fn rfc822_names(&self) -> &[String] {
        &self.rfc822_names
    }

    /// subjectAltName iPAddress entries.
    pub fn ip_addresses(&self) -> &[IpAddr] {
        &self.ip_addrs
    }

    /// Start of the validity period, Unix seconds.
    pub fn not_before_unix(&self) -> i64 {
        self.not_before
    }

    /// End of the validity period (inclusive), Unix seconds.
    pub fn not_after_unix(&self) -> i64 {
        self.not_after
    }

    /// Does this certificate vouch for the IKE identity `(id_type, id_data)` (the ID payload
    /// body after its 4-octet header)?
    ///
    /// RFC 4945 §3.1: ID_FQDN ↔ SAN dNSName (case-insensitive, no wildcards); ID_RFC822_ADDR ↔
    /// SAN rfc822Name (domain case-insensitive, local part exact, RFC 5280 §4.2.1.6);
    /// ID_IPV4_ADDR / ID_IPV6_ADDR ↔ SAN iPAddress; ID_DER_ASN1_DN ↔ subject DN, byte-equal DER.
    /// The subject CN is never used for FQDN matching. Other ID types never match.
    pub fn matches_id(&self, id_type: IdType, id_data: &[u8]) -> bool {
        match id_type {
            IdType::Fqdn => match core::str::from_utf8(id_data) {
                Ok(fqdn) if !fqdn.is_empty() => {
                    self.dns_names.iter().any(|n| n.eq_ignore_ascii_case(fqdn))
                }
                _ => false,
            },
            IdType::Rfc822Addr => match core::str::from_utf8(id_data) {
                Ok(addr) if !addr.is_empty() => {
                    self.rfc822_names.iter().any(|n| rfc822_eq(n, addr))
                }
                _ => false,
            },
            IdType::Ipv4Addr => match <[u8; 4]>::try_from(id_data) {
                Ok(a) => self.ip_addrs.contains(&IpAddr::V4(Ipv4Addr::from(a))),
                Err(_) => false,
            },
            IdType::Ipv6Addr => match <[u8; 16]>::try_from(id_data) {
                Ok(a) => self.ip_addrs.contains(&IpAddr::V6(Ipv6Addr::from(a))),
                Err(_) => false,
            },
            IdType::DerAsn1Dn => !id_data.is_empty() && id_data == self.subject.as_slice(),
            _ => false,
        }
    }
}

/// Compare mailboxes: local part exactly, domain ASCII case-insensitively.
fn rfc822_eq(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => false,
    }
}

// extendedKeyUsage purposes accepted for IKE (OID content octets).
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// id-kp-ipsecIKE, 1.3.6.1.5.5.7.3.17 (RFC 4945 §5.1.3.12).
const EKU_IPSEC_IKE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11];
/// anyExtendedKeyUsage, 2.5.29.37.0 (RFC 5280 §4.2.1.12).
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The EKU rule of RFC 4945 §5.1.3.12 as most IKE implementations apply it: no EKU extension is
/// fine; if present it must contain ipsecIKE, anyExtendedKeyUsage, serverAuth or clientAuth
/// (the last two because many deployed gateway certificates are TLS-profile certificates).
struct IkeEku;

impl ExtendedKeyUsageValidator for IkeEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if [EKU_IPSEC_IKE, EKU_ANY, EKU_SERVER_AUTH, EKU_CLIENT_AUTH]
                .iter()
                .any(|ok| KeyPurposeId::new(ok) == id)
            {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            return Ok(());
        }
        Err(webpki::Error::RequiredEkuNotFoundContext(
            RequiredEkuNotFoundContext {
                required: KeyUsage::required_if_present(EKU_IPSEC_IKE),
                present,
            },
        ))
    }
}

/// The CA certificates a peer's certificate chain must lead to.
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor<'static>>,
}

impl TrustAnchors {
    /// Build from CA certificates (normally self-signed roots; any certificate given here is
    /// trusted as is, without checking its own validity).
    pub fn new(cas: &[Certificate]) -> Result<Self, CryptoError> {
        if cas.is_empty() {
            return Err(cert_err("no trust anchors configured"));
        }
        let anchors = cas
            .iter()
            .map(|ca| {
                webpki::anchor_from_trusted_cert(&CertificateDer::from(ca.der()))
                    .map(|a| a.to_owned())
                    .map_err(|e| cert_err(format_args!("unusable trust anchor: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { anchors })
    }

    /// Verify that `end_entity`, helped by `intermediates` (in any order, e.g. the extra CERT
    /// payloads), chains to one of the anchors and is valid at `unix_time`.
    ///
    /// Checks: signatures (ECDSA, RSA PKCS#1/PSS, Ed25519), validity periods, basicConstraints
    /// and path length, name constraints, the EKU rule of [RFC 4945 §5.1.3.12] (absent, or one of
    /// ipsecIKE / anyExtendedKeyUsage / serverAuth / clientAuth), and keyUsage of the end entity:
    /// if present it must include digitalSignature or nonRepudiation (RFC 4945 §5.1.3.2).
    /// No revocation checking. This does not bind the certificate to an identity: call
    /// [`Certificate::matches_id`] for that.
    ///
    /// [RFC 4945 §5.1.3.12]: https://www.rfc-editor.org/rfc/rfc4945#section-5.1.3.12
    pub fn verify_chain(
        &self,
        end_entity: &Certificate,
        intermediates: &[Certificate],
        unix_time: u64,
    ) -> Result<(), CryptoError> {
        if !end_entity.key_usage_allows_signing {
            return Err(cert_err(
                "keyUsage has neither digitalSignature nor nonRepudiation",
            ));
        }
        let ee_der = CertificateDer::from(end_entity.der());
        let ee = EndEntityCert::try_from(&ee_der)
            .map_err(|e| cert_err(format_args!("unusable end-entity certificate: {e}")))?;
        let inter: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .map(|c| CertificateDer::from(c.der()))
            .collect();
        let time = UnixTime::since_unix_epoch(Duration::from_secs(unix_time));
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &inter,
            time,
            IkeEku,
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| cert_err(format_args!("chain validation failed: {e}")))
    }
}
