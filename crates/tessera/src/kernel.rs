//! Where negotiated Child SAs go. The driver hands every `ChildUp` to a [`KernelBackend`] and
//! every `ChildDown` removes it. [`NoneBackend`] keeps them in user space (tests, key
//! negotiation only); an XFRM backend will implement the same trait.

use std::collections::HashMap;

use ike_crypto::{ChildKeys, EncrAlg, IntegAlg};
use ike_proto::ChildMode;

/// A Child SA as handed to the backend. Keys are zeroized on drop and redacted in `Debug`.
#[derive(Debug)]
pub struct ChildSa {
    /// Connection name.
    pub connection: String,
    /// Child name.
    pub child: String,
    /// Our inbound ESP SPI (the key the backend indexes by).
    pub spi_in: u32,
    /// The peer's inbound (our outbound) ESP SPI.
    pub spi_out: u32,
    /// ESP encryption.
    pub encr: EncrAlg,
    /// ESP integrity (`None` with AEAD).
    pub integ: Option<IntegAlg>,
    /// Mode.
    pub mode: ChildMode,
    /// Key material.
    pub keys: ChildKeys,
    /// Whether we initiated the exchange that created this Child SA: then `keys.*_i` protect
    /// our outbound SA (`spi_out`) and `keys.*_r` the inbound one (`spi_in`); else the reverse.
    pub initiator: bool,
}

/// Why the backend refused an operation.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// A Child SA with that inbound SPI is already installed.
    #[error("inbound SPI {0:08x} already installed")]
    Duplicate(u32),
    /// No Child SA with that inbound SPI.
    #[error("inbound SPI {0:08x} not installed")]
    Unknown(u32),
}

/// Installs and removes Child SAs.
pub trait KernelBackend: Send {
    /// Backend name for logs (`none`, `xfrm`).
    fn name(&self) -> &'static str;
    /// Install a Child SA (both directions).
    fn install(&mut self, child: ChildSa) -> Result<(), KernelError>;
    /// Remove the Child SA with this inbound SPI.
    fn remove(&mut self, spi_in: u32) -> Result<(), KernelError>;
    /// Number of installed Child SAs.
    fn len(&self) -> usize;
    /// Whether nothing is installed.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps Child SAs in memory only; nothing reaches the kernel.
#[derive(Debug, Default)]
pub struct NoneBackend {
    sas: HashMap<u32, ChildSa>,
}

impl NoneBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Child SA with this inbound SPI.
    pub fn get(&self, spi_in: u32) -> Option<&ChildSa> {
        self.sas.get(&spi_in)
    }
}

impl KernelBackend for NoneBackend {
    fn name(&self) -> &'static str {
        "none"
    }

    fn install(&mut self, child: ChildSa) -> Result<(), KernelError> {
        if self.sas.contains_key(&child.spi_in) {
            return Err(KernelError::Duplicate(child.spi_in));
        }
        self.sas.insert(child.spi_in, child);
        Ok(())
    }

    fn remove(&mut self, spi_in: u32) -> Result<(), KernelError> {
        // Dropping the entry zeroizes its keys.
        self.sas
            .remove(&spi_in)
            .map(drop)
            .ok_or(KernelError::Unknown(spi_in))
    }

    fn len(&self) -> usize {
        self.sas.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_crypto::SecretBytes;

    fn child(spi_in: u32) -> ChildSa {
        ChildSa {
            connection: "c".into(),
            child: "net".into(),
            spi_in,
            spi_out: 7,
            encr: EncrAlg::AesGcm16_128,
            integ: None,
            mode: ChildMode::Tunnel,
            keys: ChildKeys {
                encr_i: SecretBytes::new(vec![0xa5; 20]),
                integ_i: SecretBytes::new(vec![]),
                encr_r: SecretBytes::new(vec![0x5a; 20]),
                integ_r: SecretBytes::new(vec![]),
            },
            initiator: true,
        }
    }

    #[test]
    fn install_and_remove() {
        let mut b = NoneBackend::new();
        b.install(child(1)).unwrap();
        assert!(matches!(
            b.install(child(1)),
            Err(KernelError::Duplicate(1))
        ));
        b.install(child(2)).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.get(1).unwrap().keys.encr_i.expose(), &[0xa5; 20]);
        b.remove(1).unwrap();
        assert!(matches!(b.remove(1), Err(KernelError::Unknown(1))));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn debug_has_no_keys() {
        let d = format!("{:?}", child(1));
        assert!(!d.to_lowercase().contains("a5a5"), "{d}");
        assert!(!d.contains("165"), "{d}");
    }
}
