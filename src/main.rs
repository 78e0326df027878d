//! The `classcord` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = classcord::cli::Cli::parse();
    match classcord::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("classcord: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
