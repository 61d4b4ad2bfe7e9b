//! The message layer of an IKE SA: headers, SK protection, sending requests and responses.

use ike_crypto::sk;
use ike_wire::{
    ExchangeType, Flags, IKE_HEADER_LEN, IkeHeader, Message, Payload, PayloadType,
    emit_payload_chain, find_encrypted_payload, parse_payload_chain,
};

use super::{Ctx, IkeSa, RequestKind};
use crate::error::{PeerMisbehaved, SaError};
use crate::transmit::Transmit;

/// Why an incoming protected message was not usable.
#[derive(Debug)]
pub(crate) enum Unprotect {
    /// Integrity check failed or no keys: drop silently (RFC 7296 §2.21 — never answer forgeries).
    Drop,
    /// Authentic but malformed inside.
    Invalid(PeerMisbehaved),
}

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

    /// Encrypt `payloads` into a complete message.
    pub(crate) fn protect(
        &self,
        ctx: &mut Ctx<'_>,
        header: IkeHeader,
        payloads: &[Payload],
    ) -> Result<Vec<u8>, SaError> {
        let keys =
            self.keys
                .as_ref()
                .ok_or(SaError::Crypto(ike_crypto::CryptoError::Malformed(
                    "no keys",
                )))?;
        let mut plain = Vec::with_capacity(512);
        let first = emit_payload_chain(payloads, &mut plain);
        let mut hdr = [0u8; IKE_HEADER_LEN];
        header.emit(&mut hdr);
        let msg = sk::seal(&keys.out, &hdr, u8::from(first), &plain, ctx.rng)?;
        zeroize::Zeroize::zeroize(&mut plain);
        Ok(msg)
    }

    /// Verify and decrypt a message; returns the inner payloads (plus any outer ones before SK).
    pub(crate) fn unprotect(&self, bytes: &[u8], msg: &Message) -> Result<Vec<Payload>, Unprotect> {
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

    /// Protect and send a request; the window retransmits it until answered.
    pub(crate) fn send_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        kind: RequestKind,
        payloads: &[Payload],
    ) -> Result<(), SaError> {
        let mid = self.window.next_request_mid();
        let bytes = self.protect(ctx, self.header(exchange, mid, false), payloads)?;
        self.window.sent(kind, bytes.clone(), ctx.now, ctx.cfg);
        ctx.out
            .push_back(Transmit::ike(self.local, self.remote, &bytes));
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
        let bytes = self.protect(ctx, self.header(exchange, mid, true), payloads)?;
        ctx.out
            .push_back(Transmit::ike(self.local, self.remote, &bytes));
        self.window.responded(mid, request, bytes);
        Ok(())
    }

    /// Emit an unprotected message (IKE_SA_INIT).
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
