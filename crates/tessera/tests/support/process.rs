//! Child processes: one-shot commands with a deadline, and long-running daemons that are
//! terminated by PID when dropped.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{HarnessError, Result, io_err};

/// Captured result of a finished command.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Output {
    /// stdout followed by stderr (swanctl prints progress on stdout, errors on stderr).
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A printable command line.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion, killing it after `timeout`. Returns the output whatever the exit
/// status; see [`run_ok`] for the checked variant.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Output> {
    let line = describe(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_err(format!("spawning `{line}`")))?;
    // Read both pipes on threads so a chatty command cannot block on a full pipe.
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let t_out = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = match wait_deadline(&mut child, timeout)? {
        Some(st) => st,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Timeout {
                what: line,
                secs: timeout.as_secs_f64(),
            });
        }
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Like [`run`], but a non-zero exit status is an error carrying the output.
pub fn run_ok(cmd: &mut Command, timeout: Duration) -> Result<Output> {
    let line = describe(cmd);
    let out = run(cmd, timeout)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(HarnessError::Command {
            cmd: line,
            status: out.status.to_string(),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

fn wait_deadline(child: &mut Child, timeout: Duration) -> Result<Option<ExitStatus>> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().map_err(io_err("waiting for a child"))? {
            return Ok(Some(st));
        }
        if Instant::now() >= end {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `cond` every 50 ms until it returns `Some`, or fails after `timeout` with `what`.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut cond: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = cond()? {
            return Ok(v);
        }
        if Instant::now() >= end {
            return Err(HarnessError::Timeout {
                what: what.to_string(),
                secs: timeout.as_secs_f64(),
            });
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// A long-running daemon. The spawn chain (`ip netns exec` → `unshare` → `sh` → `exec`) execs
/// at every step, so the child's PID is the daemon's own PID. Dropping it sends SIGTERM, waits up
/// to 3 s, then SIGKILLs; only this PID is ever signalled.
#[derive(Debug)]
pub struct Daemon {
    what: String,
    child: Child,
}

impl Daemon {
    /// Spawns `cmd` with stdin from /dev/null and stdout+stderr appended to `output`.
    pub fn spawn(what: &str, cmd: &mut Command, output: &Path) -> Result<Daemon> {
        let f = File::create(output).map_err(io_err(format!("creating {}", output.display())))?;
        let f2 = f.try_clone().map_err(io_err("dup"))?;
        let line = describe(cmd);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(f))
            .stderr(Stdio::from(f2))
            .spawn()
            .map_err(io_err(format!("spawning {what}: `{line}`")))?;
        Ok(Daemon {
            what: what.to_string(),
            child,
        })
    }

    /// The daemon's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the daemon has exited.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .map_err(io_err(format!("polling {}", self.what)))
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Idempotent.
    pub fn stop(&mut self, grace: Duration) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // std only offers SIGKILL; /bin/kill gives the daemon a chance to shut down cleanly
        // (charon and pluto delete their SAs and sockets on SIGTERM).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Ok(Some(_)) = wait_deadline(&mut self.child, grace) {
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(3));
    }
}
