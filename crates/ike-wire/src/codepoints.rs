//! IANA codepoints for IKEv2, as lossless enums.
//!
//! Every enum keeps unnamed values in `Unknown(n)`, converts both ways with `From`, and prints
//! the IANA registry name in `Debug`/`Display` (STYLE rule 6). Equality is by numeric value.
//! Registry: <https://www.iana.org/assignments/ikev2-parameters/ikev2-parameters.xhtml>.

enum_with_unknown! {
    /// IKEv2 Exchange Types (RFC 7296 §3.1, RFC 5723 §4.3.2, RFC 9242).
    pub enum ExchangeType(u8) {
        IkeSaInit = 34 => "IKE_SA_INIT",
        IkeAuth = 35 => "IKE_AUTH",
        CreateChildSa = 36 => "CREATE_CHILD_SA",
        Informational = 37 => "INFORMATIONAL",
        IkeSessionResume = 38 => "IKE_SESSION_RESUME",
        IkeIntermediate = 43 => "IKE_INTERMEDIATE",
    }
}

enum_with_unknown! {
    /// IKEv2 Payload Types (RFC 7296 §3.2, RFC 7383 §2.5).
    pub enum PayloadType(u8) {
        NoNext = 0 => "No Next Payload",
        SecurityAssociation = 33 => "SA",
        KeyExchange = 34 => "KE",
        IdInitiator = 35 => "IDi",
        IdResponder = 36 => "IDr",
        Certificate = 37 => "CERT",
        CertificateRequest = 38 => "CERTREQ",
        Authentication = 39 => "AUTH",
        Nonce = 40 => "Nonce",
        Notify = 41 => "N",
        Delete = 42 => "D",
        VendorId = 43 => "V",
        TsInitiator = 44 => "TSi",
        TsResponder = 45 => "TSr",
        Encrypted = 46 => "SK",
        Configuration = 47 => "CP",
        Eap = 48 => "EAP",
        EncryptedFragment = 53 => "SKF",
    }
}

enum_with_unknown! {
    /// IKEv2 Notify Message Types (RFC 7296 §3.10.1 and the RFCs named per value).
    ///
    /// Values below 16384 are errors, the rest status ([`NotifyType::is_error`]).
    pub enum NotifyType(u16) {
        UnsupportedCriticalPayload = 1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
        InvalidIkeSpi = 4 => "INVALID_IKE_SPI",
        InvalidMajorVersion = 5 => "INVALID_MAJOR_VERSION",
        InvalidSyntax = 7 => "INVALID_SYNTAX",
        InvalidMessageId = 9 => "INVALID_MESSAGE_ID",
        InvalidSpi = 11 => "INVALID_SPI",
        NoProposalChosen = 14 => "NO_PROPOSAL_CHOSEN",
        InvalidKePayload = 17 => "INVALID_KE_PAYLOAD",
        AuthenticationFailed = 24 => "AUTHENTICATION_FAILED",
        SinglePairRequired = 34 => "SINGLE_PAIR_REQUIRED",
        NoAdditionalSas = 35 => "NO_ADDITIONAL_SAS",
        InternalAddressFailure = 36 => "INTERNAL_ADDRESS_FAILURE",
        FailedCpRequired = 37 => "FAILED_CP_REQUIRED",
        TsUnacceptable = 38 => "TS_UNACCEPTABLE",
        InvalidSelectors = 39 => "INVALID_SELECTORS",
        /// RFC 4555.
        UnacceptableAddresses = 40 => "UNACCEPTABLE_ADDRESSES",
        /// RFC 4555.
        UnexpectedNatDetected = 41 => "UNEXPECTED_NAT_DETECTED",
        TemporaryFailure = 43 => "TEMPORARY_FAILURE",
        ChildSaNotFound = 44 => "CHILD_SA_NOT_FOUND",
        InitialContact = 16384 => "INITIAL_CONTACT",
        SetWindowSize = 16385 => "SET_WINDOW_SIZE",
        AdditionalTsPossible = 16386 => "ADDITIONAL_TS_POSSIBLE",
        IpcompSupported = 16387 => "IPCOMP_SUPPORTED",
        NatDetectionSourceIp = 16388 => "NAT_DETECTION_SOURCE_IP",
        NatDetectionDestinationIp = 16389 => "NAT_DETECTION_DESTINATION_IP",
        Cookie = 16390 => "COOKIE",
        UseTransportMode = 16391 => "USE_TRANSPORT_MODE",
        HttpCertLookupSupported = 16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
        RekeySa = 16393 => "REKEY_SA",
        EspTfcPaddingNotSupported = 16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
        NonFirstFragmentsAlso = 16395 => "NON_FIRST_FRAGMENTS_ALSO",
        /// RFC 4555.
        MobikeSupported = 16396 => "MOBIKE_SUPPORTED",
        /// RFC 4555.
        AdditionalIp4Address = 16397 => "ADDITIONAL_IP4_ADDRESS",
        /// RFC 4555.
        AdditionalIp6Address = 16398 => "ADDITIONAL_IP6_ADDRESS",
        /// RFC 4555.
        NoAdditionalAddresses = 16399 => "NO_ADDITIONAL_ADDRESSES",
        /// RFC 4555.
        UpdateSaAddresses = 16400 => "UPDATE_SA_ADDRESSES",
        /// RFC 4555.
        Cookie2 = 16401 => "COOKIE2",
        /// RFC 4555.
        NoNatsAllowed = 16402 => "NO_NATS_ALLOWED",
        /// RFC 4478.
        AuthLifetime = 16403 => "AUTH_LIFETIME",
        /// RFC 4739.
        MultipleAuthSupported = 16404 => "MULTIPLE_AUTH_SUPPORTED",
        /// RFC 4739.
        AnotherAuthFollows = 16405 => "ANOTHER_AUTH_FOLLOWS",
        /// RFC 5685.
        RedirectSupported = 16406 => "REDIRECT_SUPPORTED",
        /// RFC 5685.
        Redirect = 16407 => "REDIRECT",
        /// RFC 5685.
        RedirectedFrom = 16408 => "REDIRECTED_FROM",
        /// RFC 5723 §7.1: lifetime (4 octets) then the opaque ticket.
        TicketLtOpaque = 16409 => "TICKET_LT_OPAQUE",
        /// RFC 5723 §7: no data.
        TicketRequest = 16410 => "TICKET_REQUEST",
        /// RFC 5723 §7: no data.
        TicketAck = 16411 => "TICKET_ACK",
        /// RFC 5723 §7: no data.
        TicketNack = 16412 => "TICKET_NACK",
        /// RFC 5723 §7.2: the opaque ticket only.
        TicketOpaque = 16413 => "TICKET_OPAQUE",
        /// RFC 5998.
        EapOnlyAuthentication = 16417 => "EAP_ONLY_AUTHENTICATION",
        /// RFC 6023.
        ChildlessIkev2Supported = 16418 => "CHILDLESS_IKEV2_SUPPORTED",
        /// RFC 7383.
        Ikev2FragmentationSupported = 16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
        /// RFC 7427: a list of 2-octet hash algorithm identifiers.
        SignatureHashAlgorithms = 16431 => "SIGNATURE_HASH_ALGORITHMS",
        /// RFC 8784.
        UsePpk = 16435 => "USE_PPK",
        /// RFC 9242.
        IntermediateExchangeSupported = 16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
    }
}

impl NotifyType {
    /// Whether this is an error notify (value below 16384, RFC 7296 §3.10.1).
    ///
    /// Unknown error types in a response mean the request failed; unknown status types are
    /// ignored.
    pub fn is_error(&self) -> bool {
        u16::from(*self) < 16384
    }
}

enum_with_unknown! {
    /// IKEv2 Security Protocol Identifiers (RFC 7296 §3.3.1).
    ///
    /// `None` (0, IANA "Reserved") is what notify and delete payloads carry when they refer to
    /// no SPI; it is a named variant so that it round-trips without `Unknown(0)`.
    pub enum ProtocolId(u8) {
        None = 0 => "NONE",
        Ike = 1 => "IKE",
        Ah = 2 => "AH",
        Esp = 3 => "ESP",
    }
}

enum_with_unknown! {
    /// Transform Type Values (RFC 7296 §3.3.2).
    pub enum TransformType(u8) {
        Encr = 1 => "ENCR",
        Prf = 2 => "PRF",
        Integ = 3 => "INTEG",
        /// Renamed "Key Exchange Method (KE)" by RFC 9370.
        Dh = 4 => "D-H",
        Esn = 5 => "ESN",
    }
}

enum_with_unknown! {
    /// Transform Type 1 - Encryption Algorithm Transform IDs (RFC 7296 §3.3.2 and others).
    pub enum EncrId(u16) {
        TripleDes = 3 => "ENCR_3DES",
        Null = 11 => "ENCR_NULL",
        /// RFC 3602; Key Length attribute required.
        AesCbc = 12 => "ENCR_AES_CBC",
        /// RFC 5930.
        AesCtr = 13 => "ENCR_AES_CTR",
        /// RFC 5282.
        AesCcm8 = 14 => "ENCR_AES_CCM_8",
        /// RFC 5282.
        AesCcm12 = 15 => "ENCR_AES_CCM_12",
        /// RFC 5282.
        AesCcm16 = 16 => "ENCR_AES_CCM_16",
        /// RFC 5282.
        AesGcm8 = 18 => "ENCR_AES_GCM_8",
        /// RFC 5282.
        AesGcm12 = 19 => "ENCR_AES_GCM_12",
        /// RFC 5282.
        AesGcm16 = 20 => "ENCR_AES_GCM_16",
        /// RFC 4543.
        NullAuthAesGmac = 21 => "ENCR_NULL_AUTH_AES_GMAC",
        /// RFC 5529.
        CamelliaCbc = 23 => "ENCR_CAMELLIA_CBC",
        /// RFC 7634; no Key Length attribute.
        ChaCha20Poly1305 = 28 => "ENCR_CHACHA20_POLY1305",
    }
}

impl EncrId {
    /// Whether this is a combined-mode (AEAD) cipher, which carries no INTEG transform.
    pub fn is_aead(&self) -> bool {
        matches!(u16::from(*self), 14..=16 | 18..=20 | 28)
    }
}

enum_with_unknown! {
    /// Transform Type 2 - Pseudorandom Function Transform IDs (RFC 7296 §3.3.2, RFC 4868).
    pub enum PrfId(u16) {
        HmacMd5 = 1 => "PRF_HMAC_MD5",
        HmacSha1 = 2 => "PRF_HMAC_SHA1",
        HmacTiger = 3 => "PRF_HMAC_TIGER",
        AesXcbc = 4 => "PRF_AES128_XCBC",
        HmacSha2_256 = 5 => "PRF_HMAC_SHA2_256",
        HmacSha2_384 = 6 => "PRF_HMAC_SHA2_384",
        HmacSha2_512 = 7 => "PRF_HMAC_SHA2_512",
        AesCmac = 8 => "PRF_AES128_CMAC",
    }
}

enum_with_unknown! {
    /// Transform Type 3 - Integrity Algorithm Transform IDs (RFC 7296 §3.3.2, RFC 4868).
    pub enum IntegId(u16) {
        None = 0 => "NONE",
        HmacMd5_96 = 1 => "AUTH_HMAC_MD5_96",
        HmacSha1_96 = 2 => "AUTH_HMAC_SHA1_96",
        AesXcbc96 = 5 => "AUTH_AES_XCBC_96",
        HmacSha2_256_128 = 12 => "AUTH_HMAC_SHA2_256_128",
        HmacSha2_384_192 = 13 => "AUTH_HMAC_SHA2_384_192",
        HmacSha2_512_256 = 14 => "AUTH_HMAC_SHA2_512_256",
    }
}

enum_with_unknown! {
    /// Transform Type 4 - Diffie-Hellman Group Transform IDs (RFC 7296 §3.3.2, RFC 3526,
    /// RFC 5903, RFC 8031).
    pub enum DhGroup(u16) {
        None = 0 => "NONE",
        Modp768 = 1 => "768-bit MODP Group",
        Modp1024 = 2 => "1024-bit MODP Group",
        Modp1536 = 5 => "1536-bit MODP Group",
        Modp2048 = 14 => "2048-bit MODP Group",
        Modp3072 = 15 => "3072-bit MODP Group",
        Modp4096 = 16 => "4096-bit MODP Group",
        Modp6144 = 17 => "6144-bit MODP Group",
        Modp8192 = 18 => "8192-bit MODP Group",
        Ecp256 = 19 => "256-bit random ECP group",
        Ecp384 = 20 => "384-bit random ECP group",
        Ecp521 = 21 => "521-bit random ECP group",
        Curve25519 = 31 => "Curve25519",
        Curve448 = 32 => "Curve448",
    }
}

enum_with_unknown! {
    /// Transform Type 5 - Extended Sequence Numbers Transform IDs (RFC 7296 §3.3.2).
    pub enum EsnId(u16) {
        NoEsn = 0 => "No Extended Sequence Numbers",
        Esn = 1 => "Extended Sequence Numbers",
    }
}

enum_with_unknown! {
    /// IKEv2 Identification Payload ID Types (RFC 7296 §3.5, RFC 7619).
    pub enum IdType(u8) {
        Ipv4Addr = 1 => "ID_IPV4_ADDR",
        Fqdn = 2 => "ID_FQDN",
        Rfc822Addr = 3 => "ID_RFC822_ADDR",
        Ipv6Addr = 5 => "ID_IPV6_ADDR",
        DerAsn1Dn = 9 => "ID_DER_ASN1_DN",
        DerAsn1Gn = 10 => "ID_DER_ASN1_GN",
        KeyId = 11 => "ID_KEY_ID",
        /// RFC 7619.
        Null = 13 => "ID_NULL",
    }
}

enum_with_unknown! {
    /// IKEv2 Authentication Method (RFC 7296 §3.8, RFC 4754, RFC 7619, RFC 7427).
    pub enum AuthMethod(u8) {
        RsaSig = 1 => "RSA Digital Signature",
        SharedKeyMic = 2 => "Shared Key Message Integrity Code",
        DssSig = 3 => "DSS Digital Signature",
        EcdsaSha256P256 = 9 => "ECDSA with SHA-256 on the P-256 curve",
        EcdsaSha384P384 = 10 => "ECDSA with SHA-384 on the P-384 curve",
        EcdsaSha512P521 = 11 => "ECDSA with SHA-512 on the P-521 curve",
        Null = 13 => "NULL Authentication",
        DigitalSignature = 14 => "Digital Signature",
    }
}

enum_with_unknown! {
    /// IKEv2 Certificate Encodings (RFC 7296 §3.6, RFC 7670).
    pub enum CertEncoding(u8) {
        Pkcs7WrappedX509 = 1 => "PKCS #7 wrapped X.509 certificate",
        Pgp = 2 => "PGP Certificate",
        DnsSignedKey = 3 => "DNS Signed Key",
        X509Signature = 4 => "X.509 Certificate - Signature",
        Kerberos = 6 => "Kerberos Token",
        Crl = 7 => "Certificate Revocation List (CRL)",
        Arl = 8 => "Authority Revocation List (ARL)",
        Spki = 9 => "SPKI Certificate",
        X509Attribute = 10 => "X.509 Certificate - Attribute",
        RawRsaKey = 11 => "Raw RSA Key",
        HashAndUrlX509 = 12 => "Hash and URL of X.509 certificate",
        HashAndUrlX509Bundle = 13 => "Hash and URL of X.509 bundle",
        /// RFC 4806.
        OcspContent = 14 => "OCSP Content",
        /// RFC 7670.
        RawPublicKey = 15 => "Raw Public Key",
    }
}

enum_with_unknown! {
    /// IKEv2 Traffic Selector Types (RFC 7296 §3.13.1).
    pub enum TsType(u8) {
        Ipv4AddrRange = 7 => "TS_IPV4_ADDR_RANGE",
        Ipv6AddrRange = 8 => "TS_IPV6_ADDR_RANGE",
    }
}

enum_with_unknown! {
    /// IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15).
    pub enum CfgType(u8) {
        Request = 1 => "CFG_REQUEST",
        Reply = 2 => "CFG_REPLY",
        Set = 3 => "CFG_SET",
        Ack = 4 => "CFG_ACK",
    }
}

enum_with_unknown! {
    /// IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1, RFC 8598).
    ///
    /// The wire field is 15 bits; values are masked to `0x7fff` on emit.
    pub enum CfgAttributeType(u16) {
        InternalIp4Address = 1 => "INTERNAL_IP4_ADDRESS",
        InternalIp4Netmask = 2 => "INTERNAL_IP4_NETMASK",
        InternalIp4Dns = 3 => "INTERNAL_IP4_DNS",
        InternalIp4Nbns = 4 => "INTERNAL_IP4_NBNS",
        InternalIp4Dhcp = 6 => "INTERNAL_IP4_DHCP",
        ApplicationVersion = 7 => "APPLICATION_VERSION",
        InternalIp6Address = 8 => "INTERNAL_IP6_ADDRESS",
        InternalIp6Dns = 10 => "INTERNAL_IP6_DNS",
        InternalIp6Dhcp = 12 => "INTERNAL_IP6_DHCP",
        InternalIp4Subnet = 13 => "INTERNAL_IP4_SUBNET",
        SupportedAttributes = 14 => "SUPPORTED_ATTRIBUTES",
        InternalIp6Subnet = 15 => "INTERNAL_IP6_SUBNET",
        /// RFC 8598.
        InternalDnsDomain = 25 => "INTERNAL_DNS_DOMAIN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_unknown() {
        assert_eq!(ExchangeType::from(38), ExchangeType::IkeSessionResume);
        assert_eq!(u8::from(ExchangeType::IkeIntermediate), 43);
        assert_eq!(ExchangeType::from(99), ExchangeType::Unknown(99));
        assert_eq!(u8::from(ExchangeType::Unknown(99)), 99);
        // Equality is by value, so a hand-built Unknown of a named value still matches.
        assert_eq!(PayloadType::Unknown(46), PayloadType::Encrypted);
        assert_eq!(NotifyType::from(16409), NotifyType::TicketLtOpaque);
        assert_eq!(u16::from(NotifyType::TicketOpaque), 16413);
        assert_eq!(u16::from(NotifyType::Ikev2FragmentationSupported), 16430);
        assert_eq!(u16::from(NotifyType::SignatureHashAlgorithms), 16431);
        assert_eq!(ProtocolId::from(0), ProtocolId::None);
    }

    #[test]
    fn notify_error_split() {
        assert!(NotifyType::InvalidKePayload.is_error());
        assert!(NotifyType::Unknown(16383).is_error());
        assert!(!NotifyType::InitialContact.is_error());
        assert!(!NotifyType::TicketNack.is_error());
    }

    #[test]
    fn debug_uses_iana_names() {
        assert_eq!(
            format!("{:?}", ExchangeType::IkeSessionResume),
            "IKE_SESSION_RESUME"
        );
        assert_eq!(
            format!("{}", NotifyType::TicketLtOpaque),
            "TICKET_LT_OPAQUE"
        );
        assert_eq!(
            format!("{:?}", DhGroup::Unknown(1234)),
            "DhGroup::Unknown(1234)"
        );
        assert_eq!(PrfId::HmacSha2_256.iana_name(), Some("PRF_HMAC_SHA2_256"));
    }

    #[test]
    fn aead_ids() {
        assert!(EncrId::AesGcm16.is_aead());
        assert!(EncrId::ChaCha20Poly1305.is_aead());
        assert!(!EncrId::AesCbc.is_aead());
    }
}
