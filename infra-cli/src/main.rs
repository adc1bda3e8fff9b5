//! The `edgekit` binary: parses the command line and hands it to the library.
use std::process::ExitCode;

// The emulator (`edgekit dev`) allocates for every header of every request; with glibc's
// allocator malloc/free were ~30% of its instructions (callgrind, 2,000 requests).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    edgekit::cli::main()
}
