//! The client's persisted suspended sessions: `<state_dir>/sessions/<connection>.session`, one
//! file per connection in the format of [`SuspendedSession::encode`] (it carries SK_d: mode
//! 0600, written atomically and fsynced).
//!
//! Loading never fails as a whole: a file that is damaged, truncated, too large, readable by
//! others or owned by someone else is reported in one log line and renamed to
//! `<name>.session.bad` so it is not retried; an expired session is deleted with a log line.

use std::io;
use std::path::{Path, PathBuf};

use ike_proto::suspend::{MAX_SESSION_FILE_LEN, SuspendedSession};

use super::file::{ensure_private_dir, read_private, sync_dir, write_atomic};

/// File name suffix of a session file.
pub const SUFFIX: &str = ".session";

/// The directory of persisted sessions.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

/// The result of loading one file.
#[derive(Debug)]
pub enum Loaded {
    /// A good, unexpired session.
    Session(SuspendedSession),
    /// Expired; the file was removed.
    Expired {
        /// Connection name.
        connection: String,
    },
    /// Unusable; renamed to `.bad`.
    Bad {
        /// The file as found.
        path: PathBuf,
        /// Why it was refused.
        why: String,
    },
}

/// The file name stem for a connection: names are arbitrary TOML keys, so every byte outside
/// `[A-Za-z0-9_.-]` (and a leading `.`) is written as `%XX`, which keeps `/` and `..` out.
pub fn file_stem(connection: &str) -> String {
    let mut s = String::with_capacity(connection.len());
    for (i, b) in connection.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i != 0);
        if plain {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

impl SessionStore {
    /// The store in `dir`, created (mode 0700) if missing.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<SessionStore> {
        let dir = dir.into();
        ensure_private_dir(&dir)?;
        Ok(SessionStore { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of connection `name`.
    pub fn path_for(&self, connection: &str) -> PathBuf {
        self.dir.join(format!("{}{SUFFIX}", file_stem(connection)))
    }

    /// Write (or replace) the file of `session`.
    pub fn save(&self, session: &SuspendedSession) -> io::Result<PathBuf> {
        let path = self.path_for(&session.connection);
        write_atomic(&path, session.encode().expose())?;
        Ok(path)
    }

    /// Delete the file of `connection`; `Ok(false)` if there was none.
    pub fn remove(&self, connection: &str) -> io::Result<bool> {
        match std::fs::remove_file(self.path_for(connection)) {
            Ok(()) => {
                sync_dir(&self.dir)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a file exists for `connection`.
    pub fn contains(&self, connection: &str) -> bool {
        self.path_for(connection).exists()
    }

    /// Load every `*.session` file (sorted by name), handling bad and expired ones as described
    /// in the module documentation. Each file gets one log line unless it loads cleanly.
    pub fn load_all(&self, unix_now: u64) -> Vec<Loaded> {
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_str().is_some_and(|s| s.ends_with(SUFFIX)))
                .collect(),
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot list persisted sessions");
                return Vec::new();
            }
        };
        names.sort();
        names
            .into_iter()
            .map(|p| self.load_one(&p, unix_now))
            .collect()
    }

    fn load_one(&self, path: &Path, unix_now: u64) -> Loaded {
        match self.check(path) {
            Ok(s) if s.is_expired(unix_now) => {
                let connection = s.connection.clone();
                match std::fs::remove_file(path) {
                    Ok(()) => tracing::info!(
                        file = %path.display(), connection,
                        expired_at = s.expires_at,
                        "persisted session expired; file removed"
                    ),
                    Err(e) => tracing::warn!(
                        file = %path.display(), connection, error = %e,
                        "persisted session expired; cannot remove the file"
                    ),
                }
                Loaded::Expired { connection }
            }
            Ok(s) => Loaded::Session(s),
            Err(why) => {
                let mut bad = path.as_os_str().to_os_string();
                bad.push(".bad");
                let bad = PathBuf::from(bad);
                match std::fs::rename(path, &bad) {
                    Ok(()) => tracing::warn!(
                        file = %path.display(), renamed_to = %bad.display(),
                        "ignoring persisted session: {why}"
                    ),
                    Err(e) => tracing::warn!(
                        file = %path.display(), error = %e,
                        "ignoring persisted session: {why} (and it cannot be renamed)"
                    ),
                }
                Loaded::Bad {
                    path: path.to_path_buf(),
                    why,
                }
            }
        }
    }

    fn check(&self, path: &Path) -> Result<SuspendedSession, String> {
        let bytes = read_private(path, MAX_SESSION_FILE_LEN)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "file vanished".to_string())?;
        let s = SuspendedSession::decode(&bytes).map_err(|e| format!("cannot decode: {e}"))?;
        // The name inside is authoritative; a renamed file would be written back elsewhere.
        if self.path_for(&s.connection) != path {
            return Err(format!(
                "holds connection {:?}, which belongs in {}",
                s.connection,
                self.path_for(&s.connection).display()
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_crypto::{DhAlg, EncrAlg, IkeSuite, PrfAlg, SecretBytes};
    use ike_proto::Identity;
    use std::os::unix::fs::PermissionsExt;

    const NOW: u64 = 1_790_000_000;

    fn session(name: &str, expires_at: u64) -> SuspendedSession {
        SuspendedSession {
            connection: name.into(),
            ticket: vec![0xa5; 120],
            sk_d: SecretBytes::new(vec![7; 32]),
            suite: IkeSuite {
                encr: EncrAlg::AesGcm16_256,
                prf: PrfAlg::HmacSha256,
                integ: None,
                dh: DhAlg::Curve25519,
            },
            id_i: Identity::parse("client.test").unwrap(),
            id_r: Identity::parse("gw.test").unwrap(),
            expires_at,
            suspended_at: NOW - 10,
            peer: "127.0.0.1:500".parse().unwrap(),
            local: None,
        }
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_stem("home"), "home");
        assert_eq!(file_stem("a.b-c_d"), "a.b-c_d");
        assert_eq!(file_stem("../x"), "%2E.%2Fx");
        assert_eq!(file_stem(".hidden"), "%2Ehidden");
        assert_eq!(file_stem("ü 1"), "%C3%BC%201");
        assert_eq!(file_stem("50%"), "50%25");
    }

    #[test]
    fn save_load_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path().join("sessions")).unwrap();
        let mode = std::fs::metadata(store.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let p = store.save(&session("home", NOW + 3600)).unwrap();
        assert_eq!(p, store.dir().join("home.session"));
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        store.save(&session("../evil", NOW + 3600)).unwrap();
        let loaded = store.load_all(NOW);
        let names: Vec<_> = loaded
            .iter()
            .map(|l| match l {
                Loaded::Session(s) => s.connection.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, ["../evil", "home"]);
        assert!(store.remove("home").unwrap());
        assert!(!store.remove("home").unwrap());
        assert!(!store.contains("home"));
    }

    #[test]
    fn bad_files_are_renamed_and_expired_ones_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).unwrap();
        for n in ["trunc", "flip", "loose", "old", "good", "moved"] {
            store
                .save(&session(n, if n == "old" { NOW } else { NOW + 60 }))
                .unwrap();
        }
        let good = std::fs::read(store.path_for("trunc")).unwrap();
        write_atomic(&store.path_for("trunc"), &good[..good.len() / 2]).unwrap();
        let mut b = std::fs::read(store.path_for("flip")).unwrap();
        b[30] ^= 0x10;
        write_atomic(&store.path_for("flip"), &b).unwrap();
        std::fs::set_permissions(
            store.path_for("loose"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::rename(store.path_for("moved"), store.path_for("other")).unwrap();

        let loaded = store.load_all(NOW);
        let mut sessions = Vec::new();
        let mut bad = Vec::new();
        let mut expired = Vec::new();
        for l in loaded {
            match l {
                Loaded::Session(s) => sessions.push(s.connection),
                Loaded::Bad { path, why } => bad.push((path, why)),
                Loaded::Expired { connection } => expired.push(connection),
            }
        }
        assert_eq!(sessions, ["good"]);
        assert_eq!(expired, ["old"]);
        assert!(!store.path_for("old").exists());
        let why = |n: &str| {
            bad.iter()
                .find(|(p, _)| *p == store.path_for(n))
                .map(|(_, w)| w.clone())
                .unwrap_or_else(|| panic!("{n} not reported: {bad:?}"))
        };
        assert!(why("trunc").contains("truncated"), "{}", why("trunc"));
        assert!(why("flip").contains("integrity"), "{}", why("flip"));
        assert!(why("loose").contains("0644"), "{}", why("loose"));
        assert!(why("other").contains("\"moved\""), "{}", why("other"));
        assert_eq!(bad.len(), 4);
        for n in ["trunc", "flip", "loose", "other"] {
            assert!(!store.path_for(n).exists());
            let mut b = store.path_for(n).into_os_string();
            b.push(".bad");
            assert!(Path::new(&b).exists(), "{n}.session.bad");
        }
        // Renamed files are not looked at again.
        let again = store.load_all(NOW);
        assert_eq!(again.len(), 1);
    }
}
