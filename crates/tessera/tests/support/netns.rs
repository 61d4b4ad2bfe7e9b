//! Network namespaces for peers that insist on UDP 500/4500 (pluto) or install routes.
//!
//! [`Netns::pair`] creates two namespaces joined by a veth pair, addressed from the benchmarking
//! range 198.18.0.0/15 (RFC 2544), which never leaves the machine: `a` = 198.18.0.1/24,
//! `b` = 198.18.0.2/24, plus one loopback /32 each (198.19.1.1 in `a`, 198.19.2.1 in `b`) for
//! tunnel traffic selectors. Namespaces are isolated, so every pair can use the same addresses;
//! only the names are unique (`tsr<pid>x<n>a`/`b`).
//!
//! The veth ends are created directly inside the namespaces, so nothing appears in the host
//! namespace. A namespace is deleted when the last `Arc<Netns>` is dropped (daemons started in
//! it hold a clone, so they are stopped first).

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::process::{Output, describe, run, run_ok};
use super::{HarnessError, Result};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// One network namespace created by the harness.
#[derive(Debug)]
pub struct Netns {
    name: String,
    ifname: String,
    addr: Ipv4Addr,
    peer_addr: Ipv4Addr,
    inner_addr: Ipv4Addr,
}

/// Two namespaces joined by a veth pair.
#[derive(Debug, Clone)]
pub struct NetnsPair {
    /// 198.18.0.1, inner 198.19.1.1.
    pub a: Arc<Netns>,
    /// 198.18.0.2, inner 198.19.2.1.
    pub b: Arc<Netns>,
}

fn ip(args: &[&str]) -> Result<Output> {
    run_ok(Command::new("ip").args(args), Duration::from_secs(10))
}

impl Netns {
    /// Creates a fresh pair (requires root).
    pub fn pair() -> Result<NetnsPair> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let base = format!("tsr{}x{n}", std::process::id());
        let mk = |side: char,
                  ifname: &str,
                  addr: [u8; 4],
                  peer: [u8; 4],
                  inner: [u8; 4]|
         -> Result<Arc<Netns>> {
            let name = format!("{base}{side}");
            ip(&["netns", "add", &name])?;
            Ok(Arc::new(Netns {
                name,
                ifname: ifname.to_string(),
                addr: Ipv4Addr::from(addr),
                peer_addr: Ipv4Addr::from(peer),
                inner_addr: Ipv4Addr::from(inner),
            }))
        };
        let a = mk(
            'a',
            "tsr0",
            [198, 18, 0, 1],
            [198, 18, 0, 2],
            [198, 19, 1, 1],
        )?;
        let b = mk(
            'b',
            "tsr1",
            [198, 18, 0, 2],
            [198, 18, 0, 1],
            [198, 19, 2, 1],
        )?;
        ip(&[
            "link", "add", &a.ifname, "netns", &a.name, "type", "veth", "peer", "name", &b.ifname,
            "netns", &b.name,
        ])?;
        for ns in [&a, &b] {
            ip(&[
                "-n",
                &ns.name,
                "addr",
                "add",
                &format!("{}/24", ns.addr),
                "dev",
                &ns.ifname,
            ])?;
            ip(&[
                "-n",
                &ns.name,
                "addr",
                "add",
                &format!("{}/32", ns.inner_addr),
                "dev",
                "lo",
            ])?;
            ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
            ip(&["-n", &ns.name, "link", "set", &ns.ifname, "up"])?;
        }
        // route to the other side's inner address via the veth (for tunnel-mode tests)
        ip(&[
            "-n",
            &a.name,
            "route",
            "add",
            &format!("{}/32", b.inner_addr),
            "via",
            &b.addr.to_string(),
        ])?;
        ip(&[
            "-n",
            &b.name,
            "route",
            "add",
            &format!("{}/32", a.inner_addr),
            "via",
            &a.addr.to_string(),
        ])?;
        Ok(NetnsPair { a, b })
    }

    /// The namespace name (for `ip netns exec`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The veth interface name inside this namespace.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// This namespace's veth address.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The other namespace's veth address.
    pub fn peer_addr(&self) -> Ipv4Addr {
        self.peer_addr
    }

    /// This namespace's extra loopback address (a /32 for traffic selectors).
    pub fn inner_addr(&self) -> Ipv4Addr {
        self.inner_addr
    }

    /// `ip netns exec <name> <program>`: add arguments and spawn. `ip netns exec` execs the
    /// program (no fork), so a spawned child's PID is the program's PID.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Runs `args[0] args[1..]` inside the namespace (10 s deadline) and fails on a non-zero exit.
    pub fn run_in(&self, args: &[&str]) -> Result<Output> {
        let (prog, rest) = args
            .split_first()
            .ok_or_else(|| HarnessError::Peer("run_in: empty command".into()))?;
        let mut cmd = self.command(prog);
        cmd.args(rest);
        let line = describe(&cmd);
        run_ok(&mut cmd, Duration::from_secs(10)).map_err(|e| match e {
            HarnessError::Command { .. } => e,
            other => HarnessError::Peer(format!("{line}: {other}")),
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // deleting the namespace also destroys its veth end (and so the pair)
        let _ = run(
            Command::new("ip").args(["netns", "del", &self.name]),
            Duration::from_secs(10),
        );
    }
}
