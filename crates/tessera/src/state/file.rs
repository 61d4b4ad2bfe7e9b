//! Private files: the atomic 0600 writer and the checks every secret file passes before it is
//! read (regular file, not a symlink, owned by us, no group/other bits, bounded size).
//!
//! Checks run on the opened descriptor (`fstat`), not on the path, so a file swapped between
//! the check and the read cannot slip through.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroizing;

/// Why a private file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    /// Opening or reading failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// The path is a symbolic link (refused: it could point anywhere).
    #[error("{}: is a symbolic link; refusing to follow it", path.display())]
    Symlink {
        /// The file.
        path: PathBuf,
    },
    /// Not a regular file.
    #[error("{}: not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
    },
    /// Group or other have some access.
    #[error(
        "{}: permissions {mode:04o} are too open (it holds keys; group and others must have no access); \
         fix with: chmod 600 {}",
        path.display(), path.display()
    )]
    Mode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Owned by another user.
    #[error("{}: owned by uid {owner}, not by the daemon's uid {euid}; refusing to use it", path.display())]
    Owner {
        /// The file.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// Our effective uid.
        euid: u32,
    },
    /// Larger than its format allows.
    #[error("{}: {len} bytes, more than the {max} its format allows", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: u64,
        /// The limit.
        max: usize,
    },
}

/// The effective uid of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Check an open file's metadata: a regular file owned by `euid()` with no group/other bits.
pub fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), PrivateFileError> {
    if !meta.file_type().is_file() {
        return Err(PrivateFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let me = euid();
    if meta.uid() != me {
        return Err(PrivateFileError::Owner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            euid: me,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(PrivateFileError::Mode {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Open `path` without following a final symlink.
fn open_nofollow(path: &Path, opts: &mut OpenOptions) -> Result<File, PrivateFileError> {
    opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|source| {
            // O_NOFOLLOW on a symlink fails with ELOOP.
            if source.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                PrivateFileError::Symlink {
                    path: path.to_path_buf(),
                }
            } else {
                PrivateFileError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
}

/// Read a private file of at most `max_len` bytes into a zeroizing buffer; `Ok(None)` if it
/// does not exist.
pub fn read_private(
    path: &Path,
    max_len: usize,
) -> Result<Option<Zeroizing<Vec<u8>>>, PrivateFileError> {
    let mut f = match open_nofollow(path, OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(PrivateFileError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let io_err = |source| PrivateFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = f.metadata().map_err(io_err)?;
    check_private(path, &meta)?;
    if meta.len() > max_len as u64 {
        return Err(PrivateFileError::TooLarge {
            path: path.to_path_buf(),
            len: meta.len(),
            max: max_len,
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    // Bounded even if the file grows after the fstat.
    (&mut f)
        .take(max_len as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(io_err)?;
    if buf.len() > max_len {
        return Err(PrivateFileError::TooLarge {
            path: path.to_path_buf(),
            len: buf.len() as u64,
            max: max_len,
        });
    }
    Ok(Some(buf))
}

/// Distinguishes temporary files of concurrent writers in one process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replace `path` atomically with `data`, mode 0600: write a temporary file in the same
/// directory, fsync it, rename it over `path`, fsync the directory. A reader (or a crash)
/// sees either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Make the directory entry changes in `dir` (create, rename, unlink) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create `dir` (and missing parents) with mode 0700 if it does not exist.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Open (creating with mode 0600) `path` for appending, refusing a symlink, another owner or a
/// mode looser than 0600.
pub fn open_private_append(path: &Path) -> Result<File, PrivateFileError> {
    let f = open_nofollow(
        path,
        OpenOptions::new().append(true).create(true).mode(0o600),
    )?;
    let meta = f.metadata().map_err(|source| PrivateFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_private(path, &meta)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn atomic_write_creates_0600_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(mode(&p), 0o600);
        // An existing file with a looser mode is replaced by a fresh 0600 inode.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(mode(&p), 0o600);
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f")]);
    }

    #[test]
    fn atomic_write_failure_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, b"old").unwrap();
        // Renaming over a non-empty directory fails after the temp file was written.
        let d = dir.path().join("d");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("x"), b"").unwrap();
        assert!(write_atomic(&d, b"new").is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        let tmp_left = std::fs::read_dir(dir.path())
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"));
        assert!(!tmp_left);
        // A missing directory is an error, not a panic.
        assert!(write_atomic(&dir.path().join("none/f"), b"x").is_err());
    }

    #[test]
    fn read_private_checks_mode_owner_type_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        assert!(read_private(&p, 10).unwrap().is_none(), "missing is None");
        write_atomic(&p, b"secret").unwrap();
        assert_eq!(&read_private(&p, 10).unwrap().unwrap()[..], b"secret");
        // 0400 is tighter than 0600 and fine.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(read_private(&p, 10).is_ok());
        for loose in [0o644, 0o640, 0o604, 0o660, 0o601] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(loose)).unwrap();
            let e = read_private(&p, 10).unwrap_err();
            assert!(
                matches!(e, PrivateFileError::Mode { mode, .. } if mode == loose),
                "{loose:o}: {e}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("{loose:04o}")) && msg.contains("chmod 600"),
                "{msg}"
            );
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = read_private(&p, 5).unwrap_err();
        assert!(
            matches!(e, PrivateFileError::TooLarge { len: 6, max: 5, .. }),
            "{e}"
        );

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let e = read_private(&link, 10).unwrap_err();
        assert!(matches!(e, PrivateFileError::Symlink { .. }), "{e}");
        let e = read_private(dir.path(), 10).unwrap_err();
        assert!(matches!(e, PrivateFileError::NotRegular { .. }), "{e}");
    }

    #[test]
    fn read_private_refuses_another_owner() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        write_atomic(&p, b"secret").unwrap();
        let other = euid().wrapping_add(4242);
        if euid() != 0 {
            // Only root can give a file away; the owner check is then exercised by root CI.
            return;
        }
        rustix::fs::chown(
            &p,
            Some(rustix::fs::Uid::from_raw(other)),
            None::<rustix::fs::Gid>,
        )
        .unwrap();
        let e = read_private(&p, 10).unwrap_err();
        assert!(
            matches!(e, PrivateFileError::Owner { owner, euid: 0, .. } if owner == other),
            "{e}"
        );
        assert!(e.to_string().contains("owned by uid"), "{e}");
        let e = open_private_append(&p).unwrap_err();
        assert!(matches!(e, PrivateFileError::Owner { .. }), "{e}");
    }

    #[test]
    fn append_creates_0600_and_refuses_loose_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        open_private_append(&p).unwrap().write_all(b"a\n").unwrap();
        open_private_append(&p).unwrap().write_all(b"b\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"a\nb\n");
        assert_eq!(mode(&p), 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            open_private_append(&p).unwrap_err(),
            PrivateFileError::Mode { .. }
        ));
    }
}
