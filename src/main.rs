use std::process::ExitCode;

fn main() -> ExitCode {
    tweetchat::cli::main()
}
