//! RFC 5723 tickets by value and suspended sessions through the public API: sealing a real
//! `ResumptionState`, tamper resistance (conformance F #30, #35, #37, #51), key rotation and
//! persistence (#43), the client's session file (#8, #49), and the sizes the unfragmented
//! IKE_SESSION_RESUME datagram depends on.

use ike_crypto::{DhAlg, EncrAlg, IkeSuite, PrfAlg, SecretBytes};
use ike_proto::Identity;
use ike_proto::suspend::{MAX_SESSION_FILE_LEN, SuspendedSession};
use ike_proto::ticket::{
    MAX_TICKET_LEN, ResumptionState, TICKET_HEADER_LEN, TICKET_OVERHEAD, TicketError, TicketKeyRing,
};
use ike_wire::IdType;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const T0: u64 = 1_750_000_000;
const HOUR: u64 = 3600;
const SK_D: [u8; 32] = [0xd7; 32];

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(5723)
}

fn suite() -> IkeSuite {
    IkeSuite {
        encr: EncrAlg::AesGcm16_256,
        prf: PrfAlg::HmacSha256,
        integ: None,
        dh: DhAlg::Curve25519,
    }
}

fn alice() -> Identity {
    Identity {
        id_type: IdType::Rfc822Addr,
        data: b"alice@example.com".to_vec(),
    }
}

fn gateway() -> Identity {
    Identity {
        id_type: IdType::Fqdn,
        data: b"gw.example.com".to_vec(),
    }
}

fn state() -> ResumptionState {
    ResumptionState {
        connection: "roadwarrior".into(),
        id_i: alice(),
        id_r: gateway(),
        auth_method: 2,
        policy_hash: [0x42; 16],
        suite: suite(),
        sk_d: SecretBytes::from_slice(&SK_D),
        issued_at: T0,
        expires_at: T0 + HOUR,
        ticket_id: [0x1d; 16],
        old_spi_i: [0xa1; 8],
        old_spi_r: [0xb2; 8],
    }
}

fn issue(ring: &TicketKeyRing, rng: &mut ChaCha20Rng) -> Vec<u8> {
    ring.seal(state().encode().expose(), rng).unwrap()
}

fn session(ticket: Vec<u8>) -> SuspendedSession {
    SuspendedSession {
        connection: "roadwarrior".into(),
        ticket,
        sk_d: SecretBytes::from_slice(&SK_D),
        suite: suite(),
        id_i: alice(),
        id_r: gateway(),
        expires_at: T0 + HOUR,
        suspended_at: T0 + 60,
        peer: "[2001:db8::1]:500".parse().unwrap(),
        local: Some("2001:db8::99".parse().unwrap()),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn ticket_round_trip_carries_every_field() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let ticket = issue(&ring, &mut rng);
    let plain = ring.open(&ticket, T0 + 10).expect("ticket opens");
    let s = ResumptionState::decode(plain.expose()).unwrap();
    let want = state();
    assert_eq!(s.connection, want.connection);
    assert_eq!(s.id_i, want.id_i);
    assert_eq!(s.id_r, want.id_r);
    assert_eq!(s.auth_method, 2);
    assert_eq!(s.policy_hash, want.policy_hash);
    assert_eq!(s.suite, want.suite);
    assert_eq!(s.sk_d.expose(), &SK_D);
    assert_eq!((s.issued_at, s.expires_at), (T0, T0 + HOUR));
    assert_eq!(s.ticket_id, want.ticket_id);
    assert_eq!((s.old_spi_i, s.old_spi_r), (want.old_spi_i, want.old_spi_r));
}

#[test]
fn ticket_leaks_no_identity_or_key() {
    // Conformance #30/#51: the ticket bytes show no plaintext IDs, name or SK_d.
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let ticket = issue(&ring, &mut rng);
    for secret in [
        &b"alice@example.com"[..],
        b"gw.example.com",
        b"roadwarrior",
        &SK_D[..8],
    ] {
        assert!(!contains(&ticket, secret));
    }
    let ring_file = ring.to_bytes();
    assert!(
        !contains(&ticket, &ring_file.expose()[30..38]),
        "ticket key in ticket"
    );
}

#[test]
fn ticket_size_fits_budget() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let plain = state().encode();
    let ticket = issue(&ring, &mut rng);
    eprintln!(
        "ticket (FQDN/RFC822 IDs, AES-GCM-256/SHA-256 suite): {} bytes (plaintext {} + overhead {})",
        ticket.len(),
        plain.len(),
        TICKET_OVERHEAD
    );
    assert_eq!(ticket.len(), plain.len() + TICKET_OVERHEAD);
    assert!(ticket.len() <= 256, "ticket is {} bytes", ticket.len());
}

#[test]
fn every_bit_flip_is_refused() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let ticket = issue(&ring, &mut rng);
    assert!(ring.open(&ticket, T0).is_some());
    for bit in 0..ticket.len() * 8 {
        let mut t = ticket.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        // Includes the reserved octets and the key id: the whole header is AAD.
        assert!(ring.open(&t, T0).is_none(), "bit {bit} flipped still opens");
    }
}

#[test]
fn foreign_key_and_bad_shapes_are_refused() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let other = TicketKeyRing::generate(T0, HOUR, &mut rng);
    assert_ne!(ring.current_key_id(), other.current_key_id());
    let ticket = issue(&other, &mut rng);
    assert!(ring.open(&ticket, T0).is_none(), "unknown key id");
    // Same key id, other key: the tag fails.
    let mut forged = issue(&ring, &mut rng);
    let genuine = forged.clone();
    forged[TICKET_HEADER_LEN..].copy_from_slice(&ticket[TICKET_HEADER_LEN..]);
    assert!(ring.open(&forged, T0).is_none());
    assert!(ring.open(&genuine, T0).is_some());
    for n in 0..genuine.len() {
        assert!(ring.open(&genuine[..n], T0).is_none(), "truncated to {n}");
    }
    let mut long = genuine.clone();
    long.resize(MAX_TICKET_LEN + 1, 0);
    assert!(ring.open(&long, T0).is_none());
    assert!(ring.open(&vec![0; 64 * 1024], T0).is_none());
    assert_eq!(
        ring.seal(&vec![0; MAX_TICKET_LEN], &mut rng),
        Err(TicketError::TooLong)
    );
}

#[test]
fn previous_generation_opens_only_within_grace() {
    let mut rng = rng();
    let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let old = issue(&ring, &mut rng);
    assert!(ring.maybe_rotate(T0 + HOUR, &mut rng));
    let new = issue(&ring, &mut rng);
    assert_ne!(old[4..12], new[4..12]);
    assert!(ring.open(&old, T0 + HOUR + 1).is_some());
    assert!(ring.open(&old, T0 + 2 * HOUR - 1).is_some());
    assert!(
        ring.open(&old, T0 + 2 * HOUR).is_none(),
        "past grace, before rotation ran"
    );
    assert!(ring.maybe_rotate(T0 + 2 * HOUR, &mut rng));
    assert!(ring.open(&old, T0 + 2 * HOUR).is_none());
    assert!(ring.open(&new, T0 + 2 * HOUR + 1).is_some());
}

#[test]
fn key_file_survives_restart() {
    let mut rng = rng();
    let mut ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let old = issue(&ring, &mut rng);
    ring.maybe_rotate(T0 + HOUR, &mut rng);
    let new = issue(&ring, &mut rng);
    let file = ring.to_bytes();
    drop(ring);
    let loaded = TicketKeyRing::from_bytes(file.expose()).unwrap();
    assert!(loaded.open(&old, T0 + HOUR + 5).is_some());
    assert!(loaded.open(&new, T0 + HOUR + 5).is_some());
    assert_eq!(loaded.next_rotation(), T0 + 2 * HOUR);
    // Corruption anywhere is detected.
    for i in 0..file.len() {
        let mut b = file.expose().to_vec();
        b[i] ^= 0x01;
        assert!(TicketKeyRing::from_bytes(&b).is_err(), "byte {i}");
    }
}

#[test]
fn session_file_round_trip_and_size() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let s = session(issue(&ring, &mut rng));
    let file = s.encode();
    eprintln!(
        "suspended session file (IPv6 peer + local, {}-byte ticket): {} bytes",
        s.ticket.len(),
        file.len()
    );
    assert!(file.len() <= 1024, "session file is {} bytes", file.len());
    let back = SuspendedSession::decode(file.expose()).unwrap();
    assert_eq!(back.connection, s.connection);
    assert_eq!(back.ticket, s.ticket);
    assert_eq!(back.sk_d.expose(), &SK_D);
    assert_eq!(back.suite, s.suite);
    assert_eq!((back.id_i.clone(), back.id_r.clone()), (alice(), gateway()));
    assert_eq!((back.expires_at, back.suspended_at), (T0 + HOUR, T0 + 60));
    assert_eq!((back.peer, back.local), (s.peer, s.local));
    // The restored session's ticket still opens at the gateway.
    assert!(ring.open(&back.ticket, T0 + 100).is_some());
    assert!(!back.is_expired(T0 + HOUR - 1));
    assert!(back.is_expired(T0 + HOUR));
}

#[test]
fn session_file_every_truncation_and_bit_flip_is_a_typed_error() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let file = session(issue(&ring, &mut rng)).encode();
    let good = file.expose();
    for n in 0..good.len() {
        assert!(
            SuspendedSession::decode(&good[..n]).is_err(),
            "truncated to {n}"
        );
    }
    let (mut corrupt, mut other) = (0, 0);
    for bit in 0..good.len() * 8 {
        let mut b = good.to_vec();
        b[bit / 8] ^= 1 << (bit % 8);
        match SuspendedSession::decode(&b) {
            Ok(_) => panic!("bit {bit} flipped still decodes"),
            Err(TicketError::Corrupt) => corrupt += 1,
            Err(_) => other += 1,
        }
    }
    eprintln!("session file bit flips: {corrupt} Corrupt, {other} other typed errors");
    // Outside the length prefixes, magic and version, damage is reported as corruption.
    assert!(corrupt > good.len() * 8 * 9 / 10);
    let mut b = good.to_vec();
    b.push(0);
    assert_eq!(
        SuspendedSession::decode(&b).err(),
        Some(TicketError::TrailingBytes)
    );
    assert_eq!(
        SuspendedSession::decode(&vec![0x54; MAX_SESSION_FILE_LEN + 1]).err(),
        Some(TicketError::TooLong)
    );
    assert_eq!(
        SuspendedSession::decode(b"").err(),
        Some(TicketError::Truncated)
    );
}

#[test]
fn debug_output_holds_no_secret_bytes() {
    let mut rng = rng();
    let ring = TicketKeyRing::generate(T0, HOUR, &mut rng);
    let ticket = issue(&ring, &mut rng);
    let ring_file = ring.to_bytes();
    let key = &ring_file.expose()[30..62];
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let list = |b: &[u8]| format!("{b:?}");
    let s = session(ticket.clone());

    let dumps = [
        format!("{ring:?}"),
        format!("{:?}", state()),
        format!("{s:?}"),
    ];
    for d in &dumps {
        for secret in [
            key,
            &ticket[TICKET_HEADER_LEN..],
            &SK_D[..],
            &[0x42; 16][..],
            &[0x1d; 16][..],
        ] {
            assert!(!d.contains(&hex(&secret[..8])), "{d}");
            assert!(!d.contains(&list(&secret[..8])[1..20]), "{d}");
        }
    }
    // The key id is what the ring's Debug is for.
    assert!(
        dumps[0].contains(&hex(&ring.current_key_id())),
        "{}",
        dumps[0]
    );
    assert!(dumps[2].contains("roadwarrior"), "{}", dumps[2]);
}
