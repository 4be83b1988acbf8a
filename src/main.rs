use std::process::ExitCode;

fn main() -> ExitCode {
    // Refused only by a glibc that no longer knows them: more memory, no harm.
    let _ = tweetchat::memory::fix_thresholds();
    tweetchat::cli::main()
}
