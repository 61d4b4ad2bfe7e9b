//! Blocking client for the control socket (the CLI needs no async runtime for one request).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::proto::{Request, Response};

/// Why a control request failed before the daemon could answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket could not be reached.
    #[error("cannot connect to {}: {source} (is the daemon running?)", path.display())]
    Connect {
        /// Socket path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// No answer within the timeout.
    #[error("no answer from the daemon within {0:?}")]
    Timeout(Duration),
    /// Reading or writing failed.
    #[error("control socket I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The daemon's answer did not parse.
    #[error("bad answer from the daemon: {0}")]
    Protocol(String),
}

/// Send one request and wait up to `timeout` for the answer.
pub fn request(path: &Path, req: &Request, timeout: Duration) -> Result<Response, ClientError> {
    let mut s = UnixStream::connect(path).map_err(|source| ClientError::Connect {
        path: path.to_path_buf(),
        source,
    })?;
    s.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut line = serde_json::to_string(req).map_err(|e| ClientError::Protocol(e.to_string()))?;
    line.push('\n');
    s.write_all(line.as_bytes())?;
    let mut answer = String::new();
    match BufReader::new(&s).read_line(&mut answer) {
        Ok(0) => return Err(ClientError::Protocol("connection closed".into())),
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Err(ClientError::Timeout(timeout));
        }
        Err(e) => return Err(e.into()),
    }
    serde_json::from_str(answer.trim()).map_err(|e| ClientError::Protocol(e.to_string()))
}
