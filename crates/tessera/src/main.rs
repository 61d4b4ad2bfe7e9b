//! The `tessera` binary: see [`tessera::cli`].
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    tessera::cli::main(tessera::cli::Cli::parse())
}
