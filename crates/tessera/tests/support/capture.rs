//! Packet captures (dumpcap) and their decoding with tshark's IKEv2 dissector, optionally with a
//! Wireshark `ikev2_decryption_table` so the SK payloads are decrypted.
//!
//! Facts this relies on (peers.md §7, peers-libreswan5.md §8):
//! - IKE on ports other than 500 carries the 4-byte non-ESP marker (RFC 3948 framing), so tshark
//!   must be told `-d udp.port==P,udpencap` for those ports or it shows bare UDP / empty ISAKMP;
//! - libpcap hands TPACKET_V3 blocks over with a timeout, so stopping the capture right after the
//!   last exchange loses packets: [`Capture::finish`] waits first;
//! - the decryption table is a UAT file `ikev2_decryption_table` in `WIRESHARK_CONFIG_DIR`, one
//!   CSV line per IKE SA (several lines work, unlike `-o uat:` with one record).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::netns::Netns;
use super::process::{Daemon, run, run_ok, wait_until};
use super::{HarnessError, Result, TSHARK, io_err, tail};

/// Wireshark's capture helper (tshark runs it too).
pub const DUMPCAP: &str = "/usr/bin/dumpcap";

/// A running capture into a private pcapng file.
#[derive(Debug)]
pub struct Capture {
    daemon: Daemon,
    dir: tempfile::TempDir,
}

/// A finished capture.
#[derive(Debug)]
pub struct Pcap {
    dir: tempfile::TempDir,
}

/// How tshark should decode a capture.
#[derive(Debug, Clone, Default)]
pub struct Decode {
    /// UDP ports whose datagrams carry the non-ESP marker (every IKE port other than 500).
    pub udpencap_ports: Vec<u16>,
    /// `ikev2_decryption_table` contents (one line per IKE SA); `None` = no decryption.
    pub ikev2_keys: Option<String>,
}

impl Capture {
    /// Starts `dumpcap -i iface -f filter` (inside `ns` if given) and waits until it captures.
    pub fn start(ns: Option<&Arc<Netns>>, iface: &str, filter: &str) -> Result<Capture> {
        let mut dir = tempfile::Builder::new()
            .prefix("tessera-pcap-")
            .tempdir()
            .map_err(io_err("creating a capture directory"))?;
        if super::keep_dirs() {
            dir.disable_cleanup(true);
            eprintln!("keeping capture directory {}", dir.path().display());
        }
        Self::spawn(ns, iface, filter, dir)
    }

    fn spawn(
        ns: Option<&Arc<Netns>>,
        iface: &str,
        filter: &str,
        dir: tempfile::TempDir,
    ) -> Result<Capture> {
        let mut cmd = match ns {
            Some(ns) => ns.command(DUMPCAP),
            None => Command::new(DUMPCAP),
        };
        cmd.args(["-i", iface, "-f", filter, "-w"])
            .arg(dir.path().join("capture.pcapng"));
        let log = dir.path().join("dumpcap.out");
        let mut daemon = Daemon::spawn("dumpcap", &mut cmd, &log)?;
        wait_until(
            &format!("dumpcap capturing on {iface}"),
            Duration::from_secs(10),
            || {
                let out = std::fs::read_to_string(&log).unwrap_or_default();
                if let Some(st) = daemon.exited()? {
                    return Err(HarnessError::Peer(format!(
                        "dumpcap exited ({st}):\n{}",
                        tail(&out, 20)
                    )));
                }
                Ok(out.contains("Capturing on").then_some(()))
            },
        )?;
        Ok(Capture { daemon, dir })
    }

    /// Waits for libpcap to hand over the last packets, stops dumpcap (SIGINT, so it closes
    /// the file cleanly) and returns the capture.
    pub fn finish(mut self) -> Result<Pcap> {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = Command::new("kill")
            .args(["-INT", &self.daemon.pid().to_string()])
            .status();
        wait_until("dumpcap to stop", Duration::from_secs(5), || {
            Ok(self.daemon.exited()?.map(|_| ()))
        })?;
        Ok(Pcap { dir: self.dir })
    }
}

impl Pcap {
    /// The pcapng file.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("capture.pcapng")
    }

    /// The private directory (for decryption tables and copies kept for the report).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn tshark(&self, decode: &Decode) -> Result<Command> {
        let mut cmd = Command::new(TSHARK);
        // a private configuration directory: no user preferences, and the decryption table
        // one directory per call, so a later (e.g. deliberately damaged) table never hides
        // the one an earlier decode used when the directory is kept for debugging
        static N: AtomicUsize = AtomicUsize::new(0);
        let conf = self
            .dir
            .path()
            .join(format!("wireshark-{}", N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&conf).map_err(io_err("creating a wireshark config dir"))?;
        if let Some(keys) = &decode.ikev2_keys {
            std::fs::write(conf.join("ikev2_decryption_table"), keys)
                .map_err(io_err("writing ikev2_decryption_table"))?;
        }
        cmd.env("WIRESHARK_CONFIG_DIR", &conf).env("HOME", &conf);
        cmd.arg("-n").arg("-r").arg(self.path());
        for p in &decode.udpencap_ports {
            cmd.args(["-d", &format!("udp.port=={p},udpencap")]);
        }
        Ok(cmd)
    }

    /// `tshark -T fields` for the frames matching the display `filter`: one row per frame,
    /// one string per field, several occurrences of a field joined with `,`.
    pub fn fields(
        &self,
        decode: &Decode,
        filter: &str,
        fields: &[&str],
    ) -> Result<Vec<Vec<String>>> {
        let mut cmd = self.tshark(decode)?;
        cmd.args(["-Y", filter, "-T", "fields", "-E", "separator=/t"])
            .args(["-E", "occurrence=a", "-E", "aggregator=,"]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = run_ok(&mut cmd, Duration::from_secs(30))?;
        Ok(out
            .stdout
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect())
    }

    /// `tshark -V` (full dissection) of the frames matching `filter`, for assertions on the
    /// text tshark prints and for failure messages.
    pub fn verbose(&self, decode: &Decode, filter: &str) -> Result<String> {
        let mut cmd = self.tshark(decode)?;
        cmd.args(["-Y", filter, "-V"]);
        Ok(run(&mut cmd, Duration::from_secs(30))?.combined())
    }

    /// The one-line summaries of every frame (for failure messages).
    pub fn summary(&self, decode: &Decode) -> String {
        match self
            .tshark(decode)
            .and_then(|mut c| run(&mut c, Duration::from_secs(30)))
        {
            Ok(out) => out.combined(),
            Err(e) => format!("tshark failed: {e}"),
        }
    }
}

/// The tshark fields [`Pcap::ike_frames`] reads, in [`IkeFrame`] order.
const IKE_FIELDS: [&str; 12] = [
    "frame.number",
    "ip.src",
    "isakmp.exchangetype",
    "isakmp.flag_r",
    "isakmp.ispi",
    "isakmp.rspi",
    "isakmp.messageid",
    "isakmp.nextpayload",
    "isakmp.notify.msgtype",
    "isakmp.id.data.fqdn",
    "isakmp.auth.method",
    "isakmp.notify.data.ticket_opaque.lifetime",
];

/// One IKE datagram as tshark dissected it (fields of decrypted inner payloads appear only
/// when the decryption table has the SA's keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeFrame {
    /// Frame number in the capture.
    pub number: u32,
    /// Sender address.
    pub src: String,
    /// Exchange type (34 IKE_SA_INIT, 35 IKE_AUTH, 37 INFORMATIONAL, 38 IKE_SESSION_RESUME).
    pub exchange: u8,
    /// The R (response) flag.
    pub response: bool,
    /// Initiator SPI, 16 lowercase hex digits.
    pub spi_i: String,
    /// Responder SPI, 16 lowercase hex digits.
    pub spi_r: String,
    /// Message ID.
    pub mid: u32,
    /// Next-payload values (the header's first; 46 = SK, 53 = SKF).
    pub next_payloads: Vec<u8>,
    /// Notify message types, outer and (when decrypted) inner.
    pub notifies: Vec<u16>,
    /// ID_FQDN identities (IDi/IDr), only when decrypted.
    pub fqdns: Vec<String>,
    /// AUTH method octets, only when decrypted.
    pub auth_methods: Vec<u8>,
    /// TICKET_LT_OPAQUE lifetimes (seconds).
    pub ticket_lifetimes: Vec<u32>,
}

impl IkeFrame {
    /// Whether the frame carries notify `t`.
    pub fn has_notify(&self, t: u16) -> bool {
        self.notifies.contains(&t)
    }

    /// Whether this frame belongs to the IKE SA with initiator SPI `spi_i`.
    pub fn of_sa(&self, spi_i: &str) -> bool {
        self.spi_i == spi_i
    }
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

fn hex_field(s: &str) -> String {
    s.replace(':', "").to_ascii_lowercase()
}

/// The first value of an integer field (tshark prints some of them in hex).
fn num(s: &str) -> u64 {
    let first = s.split(',').next().unwrap_or("").trim();
    match first.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or(0),
        None => first.parse().unwrap_or(0),
    }
}

impl Pcap {
    /// Every IKE datagram matching the display `filter` (e.g. `isakmp`), dissected.
    pub fn ike_frames(&self, decode: &Decode, filter: &str) -> Result<Vec<IkeFrame>> {
        let rows = self.fields(decode, filter, &IKE_FIELDS)?;
        let mut out = Vec::new();
        for r in rows {
            let f = |i: usize| r.get(i).map(String::as_str).unwrap_or("");
            out.push(IkeFrame {
                number: u32::try_from(num(f(0))).unwrap_or(0),
                src: f(1).to_string(),
                exchange: u8::try_from(num(f(2))).unwrap_or(0),
                response: matches!(f(3).split(',').next(), Some("1" | "True" | "true")),
                spi_i: hex_field(f(4).split(',').next().unwrap_or("")),
                spi_r: hex_field(f(5).split(',').next().unwrap_or("")),
                mid: u32::try_from(num(f(6))).unwrap_or(0),
                next_payloads: list(f(7)),
                notifies: list(f(8)),
                fqdns: f(9)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                auth_methods: list(f(10)),
                ticket_lifetimes: list(f(11)),
            });
        }
        Ok(out)
    }
}

/// A compact listing of frames for failure messages.
pub fn describe_frames(frames: &[IkeFrame]) -> String {
    frames
        .iter()
        .map(|f| {
            format!(
                "#{:<3} {:<15} x{} {} mid {} {}/{} np {:?} notify {:?} id {:?} auth {:?} lt {:?}",
                f.number,
                f.src,
                f.exchange,
                if f.response { "R" } else { "I" },
                f.mid,
                f.spi_i,
                f.spi_r,
                f.next_payloads,
                f.notifies,
                f.fqdns,
                f.auth_methods,
                f.ticket_lifetimes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
