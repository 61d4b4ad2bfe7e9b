//! The message layer of an IKE SA: headers, SK protection, RFC 7383 fragmentation, sending
//! requests and responses. A protected message is one or more datagrams.

use ike_crypto::sk;
use ike_wire::{
    ExchangeType, Flags, IKE_HEADER_LEN, IkeHeader, Message, Payload, PayloadType,
    emit_payload_chain, find_encrypted_payload, parse_payload_chain,
};

use super::fragment::{self, Stored};
use super::{Ctx, IkeSa, RequestKind};
use crate::error::{PeerMisbehaved, SaError};
use crate::transmit::{Transmit, needs_marker};

/// Why an incoming protected message was not (yet) usable.
#[derive(Debug)]
pub(crate) enum Unprotect {
    /// Integrity check failed or no keys: drop silently (RFC 7296 §2.21 — never answer forgeries).
    Drop,
    /// An authentic fragment was stored; the message is not complete yet.
    Incomplete,
    /// Authentic but malformed inside.
    Invalid(PeerMisbehaved),
}

/// Size of an SKF payload's generic header plus Fragment Number and Total Fragments.
const SKF_HEADER_LEN: usize = 8;

impl IkeSa {
    /// The IKE header for a message of this SA.
    pub(crate) fn header(&self, exchange: ExchangeType, mid: u32, response: bool) -> IkeHeader {
        IkeHeader {
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            next_payload: PayloadType::Encrypted,
            major_version: 2,
            minor_version: 0,
            exchange_type: exchange,
            flags: Flags::new(self.initiator, response),
            message_id: mid,
            length: 0,
        }
    }

    /// Encrypt `payloads` into a message: one datagram, or SKF fragments when both peers
    /// negotiated RFC 7383 and the message would not fit `fragment_mtu`.
    pub(crate) fn protect(
        &self,
        ctx: &mut Ctx<'_>,
        header: IkeHeader,
        payloads: &[Payload],
    ) -> Result<Vec<Vec<u8>>, SaError> {
        let keys =
            self.keys
                .as_ref()
                .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                    "no keys",
                )))?;
        let mut plain = Vec::with_capacity(512);
        let first = emit_payload_chain(payloads, &mut plain);
        let marker = if needs_marker(self.local, self.remote) {
            4
        } else {
            0
        };
        let whole = marker + IKE_HEADER_LEN + 4 + keys.out.overhead() + plain.len();
        let result = if self.fragmentation && whole > ctx.cfg.fragment_mtu {
            self.protect_fragments(ctx, header, first, &plain, marker)
        } else {
            let mut hdr = [0u8; IKE_HEADER_LEN];
            header.emit(&mut hdr);
            sk::seal(&keys.out, &hdr, u8::from(first), &plain, ctx.rng)
                .map(|m| vec![m])
                .map_err(SaError::from)
        };
        zeroize::Zeroize::zeroize(&mut plain);
        result
    }

    fn protect_fragments(
        &self,
        ctx: &mut Ctx<'_>,
        mut header: IkeHeader,
        first: PayloadType,
        plain: &[u8],
        marker: usize,
    ) -> Result<Vec<Vec<u8>>, SaError> {
        let keys =
            self.keys
                .as_ref()
                .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                    "no keys",
                )))?;
        let room = ctx
            .cfg
            .fragment_mtu
            .saturating_sub(marker + IKE_HEADER_LEN + SKF_HEADER_LEN + keys.out.overhead());
        // Keep CBC fragments block-aligned so the worst-case padding estimate holds.
        let chunk = (room / 16 * 16).max(16);
        let pieces = fragment::split(plain, chunk);
        let total = u16::try_from(pieces.len()).map_err(|_| {
            SaError::Crypto(ike_crypto::CryptoError::Malformed(
                "message too large to fragment",
            ))
        })?;
        header.next_payload = PayloadType::EncryptedFragment;
        let mut hdr = [0u8; IKE_HEADER_LEN];
        header.emit(&mut hdr);
        let mut out = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.iter().enumerate() {
            // Only the first fragment names the inner payload chain (RFC 7383 §2.5).
            let next = if i == 0 { u8::from(first) } else { 0 };
            out.push(sk::seal_fragment(
                &keys.out,
                &hdr,
                next,
                i as u16 + 1,
                total,
                piece,
                ctx.rng,
            )?);
        }
        Ok(out)
    }

    /// Verify and decrypt a message (or store one of its fragments); returns the inner
    /// payloads plus any unprotected ones before SK.
    pub(crate) fn unprotect(
        &mut self,
        now: std::time::Instant,
        bytes: &[u8],
        msg: &Message,
    ) -> Result<Vec<Payload>, Unprotect> {
        if let Some(Payload::EncryptedFragment(_)) = msg.payloads.last() {
            return self.unprotect_fragment(now, bytes, msg);
        }
        self.unprotect_whole(bytes, msg)
    }

    /// Decrypt a whole (unfragmented) message without changing the SA.
    pub(crate) fn unprotect_whole(
        &self,
        bytes: &[u8],
        msg: &Message,
    ) -> Result<Vec<Payload>, Unprotect> {
        let Some(keys) = &self.keys else {
            return Err(Unprotect::Drop);
        };
        let off = match find_encrypted_payload(bytes) {
            Ok(Some(off)) => off,
            // An unprotected message after IKE_SA_INIT is never acted on.
            _ => return Err(Unprotect::Drop),
        };
        if !matches!(msg.payloads.last(), Some(Payload::Encrypted(_))) {
            return Err(Unprotect::Drop);
        }
        let (first, plain) = sk::open(&keys.inb, bytes, off).map_err(|_| Unprotect::Drop)?;
        let mut inner = parse_payload_chain(PayloadType::from(first), plain.expose())
            .map_err(|e| Unprotect::Invalid(e.into()))?;
        let mut all: Vec<Payload> = msg.payloads[..msg.payloads.len() - 1].to_vec();
        all.append(&mut inner);
        Ok(all)
    }

    /// Is this an authentic fragment of our SA (checked before anything is stored)?
    pub(crate) fn open_fragment(
        &self,
        bytes: &[u8],
    ) -> Option<(u8, u16, u16, ike_crypto::SecretBytes)> {
        let keys = self.keys.as_ref()?;
        let off = find_encrypted_payload(bytes).ok()??;
        sk::open_fragment(&keys.inb, bytes, off).ok()
    }

    fn unprotect_fragment(
        &mut self,
        now: std::time::Instant,
        bytes: &[u8],
        msg: &Message,
    ) -> Result<Vec<Payload>, Unprotect> {
        let (first, number, total, plain) = self.open_fragment(bytes).ok_or(Unprotect::Drop)?;
        let slot = if msg.header.flags.is_response() {
            &mut self.frag_in_response
        } else {
            &mut self.frag_in_request
        };
        match fragment::store(
            slot,
            now,
            msg.header.message_id,
            first,
            number,
            total,
            plain,
        ) {
            Stored::Incomplete | Stored::Rejected => Err(Unprotect::Incomplete),
            Stored::Complete(first, all) => {
                parse_payload_chain(first, all.expose()).map_err(|e| Unprotect::Invalid(e.into()))
            }
        }
    }

    /// Protect and send a request; the window retransmits it until answered.
    pub(crate) fn send_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        kind: RequestKind,
        payloads: &[Payload],
    ) -> Result<(), SaError> {
        let mid = self.window.next_request_mid();
        let datagrams = self.protect(ctx, self.header(exchange, mid, false), payloads)?;
        for d in &datagrams {
            ctx.out.push_back(Transmit::ike(self.local, self.remote, d));
        }
        self.window.sent(kind, datagrams, ctx.now, ctx.cfg);
        Ok(())
    }

    /// Protect and send a response to request `mid`, caching it for retransmissions.
    pub(crate) fn send_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        mid: u32,
        request: &[u8],
        payloads: &[Payload],
    ) -> Result<(), SaError> {
        let datagrams = self.protect(ctx, self.header(exchange, mid, true), payloads)?;
        for d in &datagrams {
            ctx.out.push_back(Transmit::ike(self.local, self.remote, d));
        }
        self.window.responded(mid, request, datagrams);
        Ok(())
    }

    /// Send datagrams again (retransmission), each framed for the current addresses.
    pub(crate) fn resend(&self, ctx: &mut Ctx<'_>, datagrams: &[Vec<u8>]) {
        for d in datagrams {
            ctx.out.push_back(Transmit::ike(self.local, self.remote, d));
        }
    }

    /// Emit an unprotected message (IKE_SA_INIT, IKE_SESSION_RESUME).
    pub(crate) fn plain_message(
        &self,
        exchange: ExchangeType,
        mid: u32,
        response: bool,
        payloads: Vec<Payload>,
    ) -> Vec<u8> {
        let mut header = self.header(exchange, mid, response);
        header.next_payload = payloads
            .first()
            .map(Payload::payload_type)
            .unwrap_or(PayloadType::NoNext);
        Message { header, payloads }.emit()
    }
}
