//! INFORMATIONAL (RFC 7296 §1.4): deletes and liveness checks, both directions.

use ike_wire::{DeletePayload, ExchangeType, NotifyType, Payload, ProtocolId};

use crate::error::SaError;
use crate::event::Event;
use crate::sa::{Ctx, IkeSa, Phase, RequestKind};

impl IkeSa {
    /// Process an INFORMATIONAL request from the peer and answer it.
    pub(crate) fn process_info_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        bytes: &[u8],
        payloads: &[Payload],
    ) {
        let mut delete_ike = false;
        let mut deleted_in = Vec::new();
        for p in payloads {
            let Payload::Delete(d) = p else { continue };
            match d.protocol {
                ProtocolId::Ike => delete_ike = true,
                ProtocolId::Esp | ProtocolId::Ah => {
                    for spi in &d.spis {
                        let Ok(spi) = <[u8; 4]>::try_from(spi.as_slice()) else {
                            continue;
                        };
                        let spi_out = u32::from_be_bytes(spi);
                        if let Some(pos) = self.children.iter().position(|c| c.spi_out == spi_out) {
                            let c = self.children.remove(pos);
                            ctx.events.push_back(Event::ChildDown {
                                connection: self.conn.name.clone(),
                                spi_in: c.spi_in,
                            });
                            deleted_in.push(c.spi_in.to_be_bytes().to_vec());
                        }
                    }
                }
                _ => {}
            }
        }
        let mut resp = if delete_ike || deleted_in.is_empty() {
            Vec::new()
        } else {
            // §1.4.1: answer a Child SA delete with the SPIs of our half of each pair.
            vec![Payload::Delete(DeletePayload {
                protocol: ProtocolId::Esp,
                spi_size: 4,
                spis: deleted_in,
            })]
        };
        // RFC 5723 §4.1: only the original initiator (the client) may ask for a ticket here.
        if !delete_ike
            && self.gateway
            && super::find_notify(payloads, NotifyType::TicketRequest).is_some()
        {
            resp.push(super::ticket::answer_ticket_request(self, ctx));
        }
        if let Err(e) = self.send_response(ctx, ExchangeType::Informational, mid, bytes, &resp) {
            return self.close(ctx, e);
        }
        if delete_ike {
            self.close(ctx, SaError::PeerDeleted);
        }
    }

    /// Process the response to one of our INFORMATIONAL requests.
    pub(crate) fn process_info_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: RequestKind,
        payloads: &[Payload],
    ) {
        match kind {
            RequestKind::DeleteIke => self.close(ctx, SaError::LocalClose),
            RequestKind::TicketRequest => super::ticket::absorb(self, ctx, payloads),
            RequestKind::DeleteChild(spi_in) => {
                if let Some(pos) = self.children.iter().position(|c| c.spi_in == spi_in) {
                    self.children.remove(pos);
                    ctx.events.push_back(Event::ChildDown {
                        connection: self.conn.name.clone(),
                        spi_in,
                    });
                }
            }
            _ => {}
        }
    }

    /// Start the next queued request if the window allows.
    pub(crate) fn kick(&mut self, ctx: &mut Ctx<'_>) {
        if !self.window.is_idle() || !self.is_established() {
            return;
        }
        let Some(kind) = self.queue.pop_front() else {
            return;
        };
        let payloads = match &kind {
            RequestKind::Dpd => Vec::new(),
            RequestKind::TicketRequest => vec![super::status(NotifyType::TicketRequest)],
            RequestKind::DeleteIke => {
                self.phase = Phase::Deleting;
                vec![Payload::Delete(DeletePayload {
                    protocol: ProtocolId::Ike,
                    spi_size: 0,
                    spis: Vec::new(),
                })]
            }
            RequestKind::DeleteChild(spi_in) => vec![Payload::Delete(DeletePayload {
                protocol: ProtocolId::Esp,
                spi_size: 4,
                spis: vec![spi_in.to_be_bytes().to_vec()],
            })],
            RequestKind::CreateChild(_) | RequestKind::RekeyChild(..) | RequestKind::RekeyIke => {
                if let Err(e) = self.start_create(ctx, kind) {
                    self.close(ctx, e);
                }
                return;
            }
            RequestKind::Init | RequestKind::Auth => return,
        };
        if let Err(e) = self.send_request(ctx, ExchangeType::Informational, kind, &payloads) {
            self.close(ctx, e);
        }
    }
}
