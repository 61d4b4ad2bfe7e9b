//! Index of established gateway SAs by (connection, peer identity), so INITIAL_CONTACT (RFC 7296
//! §2.4) removes a client's older SAs without scanning every SA of the endpoint.

use std::collections::HashMap;
use std::time::Instant;

use super::Endpoint;
use crate::error::SaError;
use crate::sa::IkeSa;

/// (connection name, ID type, ID data).
type IdentityKey = (String, u8, Vec<u8>);

/// Established gateway SAs by the identities they connect.
#[derive(Default)]
pub(super) struct IdentityIndex {
    by_key: HashMap<IdentityKey, Vec<[u8; 8]>>,
}

fn key(sa: &IkeSa) -> Option<IdentityKey> {
    let id = sa.peer_id.as_ref()?;
    Some((sa.conn.name.clone(), u8::from(id.id_type), id.data.clone()))
}

impl Endpoint {
    /// Index an SA that has just become an established gateway SA.
    pub(super) fn index_identity(&mut self, spi: [u8; 8]) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        if sa.identity_indexed || !sa.gateway || !sa.is_established() {
            return;
        }
        let Some(k) = key(sa) else { return };
        sa.identity_indexed = true;
        self.identities.by_key.entry(k).or_default().push(spi);
    }

    /// Drop an SA from the index (it is being removed).
    pub(super) fn unindex_identity(&mut self, sa: &IkeSa, spi: [u8; 8]) {
        if !sa.identity_indexed {
            return;
        }
        let Some(k) = key(sa) else { return };
        if let Some(v) = self.identities.by_key.get_mut(&k) {
            v.retain(|s| *s != spi);
            if v.is_empty() {
                self.identities.by_key.remove(&k);
            }
        }
    }

    /// INITIAL_CONTACT on the SA `keep`: silently remove the other SAs between the same
    /// identities (their Child SAs go with them).
    pub(super) fn initial_contact(&mut self, now: Instant, keep: [u8; 8]) {
        self.index_identity(keep);
        let Some(k) = self.sas.get(&keep).and_then(|sa| key(sa)) else {
            return;
        };
        let others: Vec<[u8; 8]> = self
            .identities
            .by_key
            .get(&k)
            .map(|v| v.iter().copied().filter(|s| *s != keep).collect())
            .unwrap_or_default();
        for spi in others {
            tracing::info!(conn = %k.0, spi = %crate::sa::hex8(&spi), "INITIAL_CONTACT: removing the peer's older IKE SA");
            self.with_sa(now, spi, |sa, ctx| sa.close(ctx, SaError::InitialContact));
        }
    }
}
