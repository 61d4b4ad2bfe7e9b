//! Persistent daemon state on disk, all of it secret and all of it written the same way
//! (mode 0600, temporary file + fsync + rename + directory fsync, see [`file`]):
//!
//! - [`keys`]: the gateway's ticket key file (`[daemon] ticket_key_file`);
//! - [`sessions`]: the client's suspended sessions (`<state_dir>/sessions/NAME.session`);
//! - [`keylog`]: the optional Wireshark key log (`[daemon] wireshark_keys`).

pub mod file;
pub mod keylog;
pub mod keys;
pub mod sessions;

pub use file::{PrivateFileError, read_private, write_atomic};
pub use keylog::KeyLog;
pub use keys::{KeyFileError, KeyOrigin, RotationOutcome, TicketKeyFile};
pub use sessions::{Loaded, SessionStore};
