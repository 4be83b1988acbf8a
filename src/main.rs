use std::process::ExitCode;

fn main() -> ExitCode {
    tweetchat::memory::fix_thresholds();
    tweetchat::cli::main()
}
