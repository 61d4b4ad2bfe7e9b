//! The gateway's ticket key file (`[daemon] ticket_key_file`): the RFC 5723 key ring that seals
//! resumption tickets, persisted so that tickets survive a restart and so that several daemons
//! sharing the file resume each other's clients.
//!
//! - Format: [`TicketKeyRing::to_bytes`] (magic, version, generations, integrity MAC).
//! - Written atomically with mode 0600 ([`super::file::write_atomic`]).
//! - A damaged file is a startup error, never silently replaced: new keys would invalidate
//!   every ticket the clients hold. A file readable by others or owned by another user is
//!   refused.
//! - Every read-modify-write holds an exclusive `flock` on `<file>.lock`, so daemons sharing
//!   the file agree on one ring: the first to rotate writes its new key, the others adopt it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ike_proto::ticket::{TICKET_KEY_FILE_MAX_LEN, TicketError, TicketKeyRing};
use rand_core::CryptoRngCore;

use super::file::{PrivateFileError, ensure_private_dir, parent_dir, read_private, write_atomic};

/// Why the ticket key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Unreadable, wrong owner or permissions, a symlink, too large.
    #[error("ticket key file {0}")]
    Private(#[from] PrivateFileError),
    /// The content does not decode.
    #[error(
        "ticket key file {} is unusable ({source}); refusing to start, since new keys would \
         invalidate every ticket the clients hold: restore the file, or delete it to start over \
         with fresh keys",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: TicketError,
    },
    /// Writing or locking failed.
    #[error("ticket key file {}: {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operation.
        what: &'static str,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Where the key ring came from at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Loaded from an existing file.
    Loaded,
    /// Generated and written because there was no file.
    Created,
}

/// What [`TicketKeyFile::store_rotated`] did.
#[derive(Debug)]
pub enum RotationOutcome {
    /// Our rotated ring is now the file.
    Written,
    /// Another daemon sharing the file rotated first; use its ring instead of ours.
    Adopt(TicketKeyRing),
}

/// The ticket key file at one path.
#[derive(Debug, Clone)]
pub struct TicketKeyFile {
    path: PathBuf,
}

/// Holds the exclusive lock until dropped (closing the descriptor releases it).
struct Lock(#[allow(dead_code)] File);

impl TicketKeyFile {
    /// The key file at `path` (nothing is touched yet).
    pub fn new(path: impl Into<PathBuf>) -> TicketKeyFile {
        TicketKeyFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, what: &'static str) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
        move |source| KeyFileError::Io {
            path: self.path.clone(),
            what,
            source,
        }
    }

    fn lock(&self) -> Result<Lock, KeyFileError> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = parent_dir(&self.path).join(name);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(self.io("opening the lock file"))?;
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| std::io::Error::from_raw_os_error(e.raw_os_error()))
            .map_err(self.io("locking"))?;
        Ok(Lock(f))
    }

    fn read(&self) -> Result<Option<TicketKeyRing>, KeyFileError> {
        let Some(bytes) = read_private(&self.path, TICKET_KEY_FILE_MAX_LEN)? else {
            return Ok(None);
        };
        TicketKeyRing::from_bytes(&bytes)
            .map(Some)
            .map_err(|source| KeyFileError::Corrupt {
                path: self.path.clone(),
                source,
            })
    }

    fn write(&self, ring: &TicketKeyRing) -> Result<(), KeyFileError> {
        write_atomic(&self.path, ring.to_bytes().expose()).map_err(self.io("writing"))
    }

    /// Load the ring, or generate one (rotating every `rotation_secs`) and write it if there is
    /// no file. A damaged or unsafe file is an error.
    pub fn load_or_create(
        &self,
        unix_now: u64,
        rotation_secs: u64,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(TicketKeyRing, KeyOrigin), KeyFileError> {
        ensure_private_dir(&parent_dir(&self.path)).map_err(self.io("creating its directory"))?;
        let _lock = self.lock()?;
        if let Some(ring) = self.read()? {
            return Ok((ring, KeyOrigin::Loaded));
        }
        let ring = TicketKeyRing::generate(unix_now, rotation_secs, rng);
        self.write(&ring)?;
        Ok((ring, KeyOrigin::Created))
    }

    /// Persist a ring that has just rotated. If the file already holds a ring at least as new
    /// with a different current key, another daemon sharing the file rotated first: the caller
    /// adopts that ring, so that all of them seal and open with the same keys.
    pub fn store_rotated(&self, ring: &TicketKeyRing) -> Result<RotationOutcome, KeyFileError> {
        let _lock = self.lock()?;
        // A file damaged since startup is overwritten here: our ring is good and current.
        if let Ok(Some(theirs)) = self.read() {
            if theirs.current_key_id() == ring.current_key_id() {
                return Ok(RotationOutcome::Written);
            }
            if theirs.next_rotation() >= ring.next_rotation() {
                return Ok(RotationOutcome::Adopt(theirs));
            }
        }
        self.write(ring)?;
        Ok(RotationOutcome::Written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;
    use std::os::unix::fs::PermissionsExt;

    const T0: u64 = 1_790_000_000;

    #[test]
    fn created_0600_then_loaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let kf = TicketKeyFile::new(dir.path().join("sub/ticket-keys"));
        let (ring, origin) = kf.load_or_create(T0, 3600, &mut OsRng).unwrap();
        assert_eq!(origin, KeyOrigin::Created);
        let mode = std::fs::metadata(kf.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, origin) = kf.load_or_create(T0 + 5, 3600, &mut OsRng).unwrap();
        assert_eq!(origin, KeyOrigin::Loaded);
        assert_eq!(again.current_key_id(), ring.current_key_id());
        assert_eq!(again.rotation_secs(), 3600);
    }

    #[test]
    fn corrupt_or_loose_file_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let kf = TicketKeyFile::new(dir.path().join("ticket-keys"));
        kf.load_or_create(T0, 3600, &mut OsRng).unwrap();
        let good = std::fs::read(kf.path()).unwrap();
        let mut bad = good.clone();
        bad[20] ^= 1;
        write_atomic(kf.path(), &bad).unwrap();
        let e = kf.load_or_create(T0, 3600, &mut OsRng).unwrap_err();
        assert!(
            matches!(
                e,
                KeyFileError::Corrupt {
                    source: TicketError::Corrupt,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("refusing to start"), "{e}");
        assert_eq!(std::fs::read(kf.path()).unwrap(), bad, "not regenerated");
        write_atomic(kf.path(), &good[..good.len() - 3]).unwrap();
        assert!(matches!(
            kf.load_or_create(T0, 3600, &mut OsRng).unwrap_err(),
            KeyFileError::Corrupt { .. }
        ));
        write_atomic(kf.path(), &good).unwrap();
        std::fs::set_permissions(kf.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = kf.load_or_create(T0, 3600, &mut OsRng).unwrap_err();
        assert!(
            matches!(e, KeyFileError::Private(PrivateFileError::Mode { .. })),
            "{e}"
        );
    }

    #[test]
    fn second_rotator_adopts_the_first_ones_ring() {
        let dir = tempfile::tempdir().unwrap();
        let kf = TicketKeyFile::new(dir.path().join("ticket-keys"));
        let (mut a, _) = kf.load_or_create(T0, 100, &mut OsRng).unwrap();
        let (mut b, _) = kf.load_or_create(T0, 100, &mut OsRng).unwrap();
        assert!(a.maybe_rotate(T0 + 100, &mut OsRng));
        assert!(b.maybe_rotate(T0 + 100, &mut OsRng));
        assert_ne!(a.current_key_id(), b.current_key_id());
        assert!(matches!(
            kf.store_rotated(&a).unwrap(),
            RotationOutcome::Written
        ));
        match kf.store_rotated(&b).unwrap() {
            RotationOutcome::Adopt(r) => assert_eq!(r.current_key_id(), a.current_key_id()),
            RotationOutcome::Written => panic!("b overwrote a's rotation"),
        }
        // Writing the same ring again is a no-op success.
        assert!(matches!(
            kf.store_rotated(&a).unwrap(),
            RotationOutcome::Written
        ));
        // A newer rotation replaces an older file.
        assert!(a.maybe_rotate(T0 + 200, &mut OsRng));
        assert!(matches!(
            kf.store_rotated(&a).unwrap(),
            RotationOutcome::Written
        ));
        let (on_disk, _) = kf.load_or_create(T0, 100, &mut OsRng).unwrap();
        assert_eq!(on_disk.current_key_id(), a.current_key_id());
    }
}
