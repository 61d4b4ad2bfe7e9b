//! Configurations shared by the benches, the load tool and the memory probe: the proposals the
//! strongSwan comparison uses (x25519, AES-GCM-128, PRF-HMAC-SHA-256, one AES-GCM-128 Child SA),
//! PSK and ECDSA P-256 certificate authentication, and distinct client identities.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ike_crypto::cert::Certificate;
use ike_crypto::sig::SigningKey;
use ike_crypto::{DhAlg, EncrAlg, IntegAlg, PrfAlg, SecretBytes};
use ike_proto::{
    AuthConfig, ChildConfig, ChildMode, ConnectionConfig, EndpointConfig, EspProposal, Identity,
    IkeProposal, PubKeyAuth, ResumptionConfig,
};

/// The gateway's identity (FQDN).
pub const GW_ID: &str = "gw.load.test";
/// The PSK; the same string the strongSwan load-tester configuration uses.
pub const PSK: &[u8] = b"load-test-psk-0123456789";
/// Name of the gateway's connection.
pub const GW_CONN: &str = "gw";

/// The identity of client number `n` (distinct for every client).
pub fn client_id(n: u64) -> String {
    format!("c{n}.load.test")
}

/// `aes128gcm16-prfsha256-x25519`: the suite of the side-by-side comparison.
pub fn suite_gcm128_x25519() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesGcm16_128],
        prf: vec![PrfAlg::HmacSha256],
        integ: vec![],
        dh: vec![DhAlg::Curve25519],
    }
}

/// `aes256gcm16-prfsha256-x25519`.
pub fn suite_gcm256_x25519() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesGcm16_256],
        ..suite_gcm128_x25519()
    }
}

/// `aes128-sha256-prfsha256-ecp256`.
pub fn suite_cbc128_ecp256() -> IkeProposal {
    IkeProposal {
        encr: vec![EncrAlg::AesCbc128],
        prf: vec![PrfAlg::HmacSha256],
        integ: vec![IntegAlg::HmacSha256_128],
        dh: vec![DhAlg::Ecp256],
    }
}

/// One tunnel-mode Child SA with AES-GCM-128 and no PFS.
pub fn child() -> ChildConfig {
    ChildConfig {
        name: "net".into(),
        mode: ChildMode::Tunnel,
        local_ts: vec![],
        remote_ts: vec![],
        esp_proposals: vec![EspProposal {
            encr: vec![EncrAlg::AesGcm16_128],
            integ: vec![],
            dh: vec![],
        }],
        rekey_time: Duration::from_secs(3600),
        life_time: Duration::from_secs(4000),
    }
}

/// How both sides authenticate.
#[derive(Clone)]
pub enum Auth {
    /// The shared [`PSK`].
    Psk,
    /// ECDSA P-256 certificates under one CA.
    Cert(Arc<Pki>),
}

fn psk() -> AuthConfig {
    AuthConfig::Psk(Arc::new(SecretBytes::from_slice(PSK)))
}

/// The gateway's responder connection: any client identity that authenticates.
pub fn gateway_conn(auth: &Auth, proposal: IkeProposal) -> ConnectionConfig {
    let (local_auth, remote_auth) = match auth {
        Auth::Psk => (psk(), psk()),
        Auth::Cert(pki) => (pki.gateway_auth(), pki.trust()),
    };
    ConnectionConfig {
        name: GW_CONN.into(),
        local_addrs: vec![],
        remote_addr: None,
        remote_port: 500,
        local_id: Identity::parse(GW_ID).expect("valid FQDN"),
        remote_id: None,
        local_auth,
        remote_auth,
        ike_proposals: vec![proposal],
        children: vec![child()],
        rekey_time: Duration::ZERO,
        dpd_delay: Duration::ZERO,
        resumption: ResumptionConfig::default(),
        fragmentation: true,
    }
}

/// A client connection named `name` with identity [`client_id`]`(n)` towards the gateway at
/// `gw_ip:gw_port`, bound to `local_ip` (so NAT detection sees no NAT on loopback).
pub fn client_conn(
    name: &str,
    n: u64,
    auth: &Auth,
    proposal: IkeProposal,
    local_ip: IpAddr,
    gw_ip: IpAddr,
    gw_port: u16,
) -> ConnectionConfig {
    let id = client_id(n);
    let (local_auth, remote_auth) = match auth {
        Auth::Psk => (psk(), psk()),
        Auth::Cert(pki) => (pki.client_auth(&id), pki.trust()),
    };
    ConnectionConfig {
        name: name.into(),
        local_addrs: vec![local_ip],
        remote_addr: Some(gw_ip),
        remote_port: gw_port,
        local_id: Identity::parse(&id).expect("valid FQDN"),
        remote_id: Some(Identity::parse(GW_ID).expect("valid FQDN")),
        local_auth,
        remote_auth,
        ike_proposals: vec![proposal],
        children: vec![child()],
        rekey_time: Duration::ZERO,
        dpd_delay: Duration::ZERO,
        resumption: ResumptionConfig::default(),
        fragmentation: true,
    }
}

/// Endpoint settings for load: no COOKIE challenges or half-open drops below `half_open`, and
/// generous retransmission timers so a busy loopback does not look like loss.
pub fn load_endpoint_config(port: u16, natt_port: u16, half_open: usize) -> EndpointConfig {
    EndpointConfig {
        port,
        natt_port,
        remote_natt_port: natt_port,
        cookie_threshold: half_open,
        half_open_limit: half_open,
        retransmit_timeout: Duration::from_secs(2),
        ..EndpointConfig::default()
    }
}

/// A throw-away PKI made with rcgen: a root CA, the gateway's ECDSA P-256 certificate, and one
/// P-256 certificate per client identity on demand.
pub struct Pki {
    ca_key: rcgen::KeyPair,
    ca_params: rcgen::CertificateParams,
    /// The CA certificate (DER).
    pub ca_der: Vec<u8>,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    /// The gateway's certificate (PEM).
    pub gw_cert_pem: String,
    /// The gateway's private key (PKCS#8 PEM).
    pub gw_key_pem: String,
    gw_cert_der: Vec<u8>,
    gw_key_der: Vec<u8>,
}

/// Why the PKI could not be made (rcgen or the engine refused a certificate or key).
#[derive(Debug)]
pub struct PkiError(pub String);

impl std::fmt::Display for PkiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PkiError {}

fn e<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> PkiError {
    move |err| PkiError(format!("{what}: {err}"))
}

fn ca_params() -> Result<rcgen::CertificateParams, PkiError> {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e("CA"))?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Tessera Load Test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    Ok(ca_params)
}

impl Pki {
    /// Make the CA and the gateway certificate (SAN DNS [`GW_ID`]).
    pub fn generate() -> Result<Pki, PkiError> {
        let alg = &rcgen::PKCS_ECDSA_P256_SHA256;
        let ca_key = rcgen::KeyPair::generate_for(alg).map_err(e("CA key"))?;
        let ca_params = ca_params()?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(e("CA cert"))?;
        let mut pki = Pki {
            ca_der: ca_cert.der().to_vec(),
            ca_pem: ca_cert.pem(),
            ca_key,
            ca_params,
            gw_cert_pem: String::new(),
            gw_key_pem: String::new(),
            gw_cert_der: Vec::new(),
            gw_key_der: Vec::new(),
        };
        let (cert, key) = pki.issue(GW_ID)?;
        pki.gw_cert_pem = cert.pem();
        pki.gw_cert_der = cert.der().to_vec();
        pki.gw_key_pem = key.serialize_pem();
        pki.gw_key_der = key.serialize_der();
        Ok(pki)
    }

    /// Issue an end-entity certificate for DNS name `name` with a fresh P-256 key.
    pub fn issue(&self, name: &str) -> Result<(rcgen::Certificate, rcgen::KeyPair), PkiError> {
        let key =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(e("EE key"))?;
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).map_err(e("EE"))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).map_err(e("EE cert"))?;
        Ok((cert, key))
    }

    /// Write `ca.crt.pem`, `ca.key.pem`, `gw.crt.pem` and `gw.key.pem` into `dir` (for the
    /// daemon's configuration and for a later [`Pki::load`]).
    pub fn save(&self, dir: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("ca.crt.pem"), &self.ca_pem)?;
        std::fs::write(dir.join("ca.key.pem"), self.ca_key.serialize_pem())?;
        std::fs::write(dir.join("gw.crt.pem"), &self.gw_cert_pem)?;
        std::fs::write(dir.join("gw.key.pem"), &self.gw_key_pem)
    }

    /// Load what [`Pki::save`] wrote. The CA's parameters are rebuilt exactly as
    /// [`Pki::generate`] made them, so certificates issued now chain to the saved CA.
    pub fn load(dir: &std::path::Path) -> Result<Pki, PkiError> {
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f)).map_err(|err| PkiError(format!("{f}: {err}")))
        };
        let ca_pem = read("ca.crt.pem")?;
        let ca_key = rcgen::KeyPair::from_pem(&read("ca.key.pem")?).map_err(e("CA key"))?;
        let gw_cert_pem = read("gw.crt.pem")?;
        let gw_key_pem = read("gw.key.pem")?;
        let first_der = |pem: &str| -> Result<Vec<u8>, PkiError> {
            Certificate::from_pem(pem)
                .map_err(e("certificate PEM"))?
                .first()
                .map(|c| c.der().to_vec())
                .ok_or_else(|| PkiError("no certificate in PEM".into()))
        };
        let gw_key = rcgen::KeyPair::from_pem(&gw_key_pem).map_err(e("gateway key"))?;
        Ok(Pki {
            ca_der: first_der(&ca_pem)?,
            ca_params: ca_params()?,
            ca_key,
            ca_pem,
            gw_cert_der: first_der(&gw_cert_pem)?,
            gw_cert_pem,
            gw_key_der: gw_key.serialize_der(),
            gw_key_pem,
        })
    }

    fn ca(&self) -> Certificate {
        Certificate::from_der(self.ca_der.clone()).expect("rcgen CA parses")
    }

    /// Remote-side settings: trust the CA.
    pub fn trust(&self) -> AuthConfig {
        AuthConfig::PubKey(PubKeyAuth {
            certs: vec![],
            key: None,
            cas: vec![self.ca()],
        })
    }

    /// The gateway's local settings.
    pub fn gateway_auth(&self) -> AuthConfig {
        AuthConfig::PubKey(PubKeyAuth {
            certs: vec![Certificate::from_der(self.gw_cert_der.clone()).expect("rcgen cert")],
            key: Some(Arc::new(
                SigningKey::from_pkcs8_der(&self.gw_key_der).expect("rcgen key"),
            )),
            cas: vec![],
        })
    }

    /// A client's local settings: a fresh certificate for `id`. Panics only if rcgen fails,
    /// which with fixed, valid inputs it does not.
    pub fn client_auth(&self, id: &str) -> AuthConfig {
        let (cert, key) = self.issue(id).expect("issuing a client certificate");
        AuthConfig::PubKey(PubKeyAuth {
            certs: vec![Certificate::from_der(cert.der().to_vec()).expect("rcgen cert")],
            key: Some(Arc::new(
                SigningKey::from_pkcs8_der(&key.serialize_der()).expect("rcgen key"),
            )),
            cas: vec![],
        })
    }
}
