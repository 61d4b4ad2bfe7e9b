//! Tessera: an IKEv2 daemon built around RFC 5723 session resumption.

fn main() {
    println!("tessera: IKEv2 daemon (work in progress)");
}
