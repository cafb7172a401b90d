use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SAFETY: first thing in the process, before any tree-sitter use.
    unsafe { fortress::parse::use_mimalloc() };
    fortress::cli::run()
}
