//! `[daemon] wireshark_keys`: a debugging aid that appends every established IKE SA's keys to a
//! file in the format of Wireshark's `ikev2_decryption_table` (Preferences → Protocols →
//! ISAKMP → IKEv2 Decryption Table), so captured IKE_AUTH and later exchanges can be decrypted.
//!
//! Anyone who can read the file can decrypt the IKE traffic it lists (not the ESP traffic):
//! it is created 0600, an existing file with looser permissions or another owner is refused,
//! and the setting is off by default.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::file::{PrivateFileError, open_private_append};

/// The key log file.
#[derive(Debug, Clone)]
pub struct KeyLog {
    path: PathBuf,
}

impl KeyLog {
    /// Check (or create) the file now, so a bad path or unsafe file stops the daemon at start.
    pub fn open(path: impl Into<PathBuf>) -> Result<KeyLog, PrivateFileError> {
        let path = path.into();
        open_private_append(&path)?;
        Ok(KeyLog { path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one line (a newline is added).
    pub fn append(&self, line: &str) -> Result<(), PrivateFileError> {
        let mut f = open_private_append(&self.path)?;
        let mut l = zeroize::Zeroizing::new(String::with_capacity(line.len() + 1));
        l.push_str(line);
        l.push('\n');
        f.write_all(l.as_bytes())
            .map_err(|source| PrivateFileError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn appends_lines_to_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = KeyLog::open(dir.path().join("keys")).unwrap();
        log.append("a,b").unwrap();
        log.append("c,d").unwrap();
        assert_eq!(std::fs::read_to_string(log.path()).unwrap(), "a,b\nc,d\n");
        let m = std::fs::metadata(log.path()).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o600);
        std::fs::set_permissions(log.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(KeyLog::open(log.path()).is_err());
    }
}
