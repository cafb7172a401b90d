//! Baseline for `scripts/bench.sh`: what `fortress check` costs without rules.
//!
//! The same discovery (`fortress::engine::discover`, default settings), the same
//! biggest-first, one-file-per-task rayon schedule, the same read + decode +
//! tree-sitter parse as the engine, and the same allocators as the binary
//! (mimalloc for Rust and for tree-sitter's C code); then each tree is dropped
//! without being walked. The engine's overhead is `fortress check` / this.
//!
//! `cargo build --release --example bare_parse`, then
//! `target/release/examples/bare_parse [-j N] [--timings] PATH...`

use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;

use fortress::config::{Overrides, Settings};
use fortress::engine::discover::Walker;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SAFETY: first thing in the process, before any tree-sitter use (as in the binary).
    unsafe { fortress::parse::use_mimalloc() };
    let mut threads = None;
    let mut timings = false;
    let mut paths = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        let inline = text
            .strip_prefix("--threads=")
            .or_else(|| text.strip_prefix("-j").filter(|n| !n.is_empty()));
        if let Some(n) = inline {
            threads = n.parse::<usize>().ok();
            if threads.is_none() {
                eprintln!("bare_parse: -j needs a number");
                return ExitCode::from(2);
            }
        } else if arg == "--timings" {
            timings = true;
        } else if arg == "-j" || arg == "--threads" {
            threads = args.next().and_then(|n| n.to_str()?.parse::<usize>().ok());
            if threads.is_none() {
                eprintln!("bare_parse: -j needs a number");
                return ExitCode::from(2);
            }
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            eprintln!("bare_parse: cannot read the current directory: {e}");
            return ExitCode::from(2);
        }
    };
    let run = || -> Result<(usize, usize, usize), String> {
        let settings = Settings::resolve(None, &Overrides::default(), cwd.clone())
            .map_err(|e| e.to_string())?;
        let absolute: Vec<std::path::PathBuf> = paths
            .iter()
            .map(|p| fortress::paths::absolutize(p, &cwd))
            .collect();
        let walker = Walker {
            settings: &settings,
            cwd: cwd.clone(),
            boundary: fortress::files::Boundary::of_run(&absolute, &cwd),
        };
        let started = std::time::Instant::now();
        let files = walker.discover(&paths).map_err(|e| e.to_string())?.files;
        let discovered = started.elapsed();
        let mut order: Vec<(u64, usize)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0), i))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let sized = started.elapsed();
        let (bytes, broken) = order
            .par_iter()
            .with_max_len(1)
            .map(|&(_, i)| {
                let Ok(raw) = std::fs::read(&files[i].path) else {
                    return (0, 1);
                };
                let Ok(source) = fortress::source::decode(&raw) else {
                    return (raw.len(), 1);
                };
                match fortress::parse::parse(&source) {
                    Some(tree) => (raw.len(), usize::from(tree.root_node().has_error())),
                    None => (raw.len(), 1),
                }
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if timings {
            eprintln!(
                "bare parse: discovery {:.1} ms, size ordering {:.1} ms, read+decode+parse {:.1} ms",
                discovered.as_secs_f64() * 1e3,
                (sized - discovered).as_secs_f64() * 1e3,
                (started.elapsed() - sized).as_secs_f64() * 1e3,
            );
        }
        Ok((files.len(), bytes, broken))
    };
    let outcome = match threads {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(e) => Err(format!("cannot start {n} threads: {e}")),
        },
        None => run(),
    };
    match outcome {
        Ok((files, bytes, broken)) => {
            println!("bare parse: {files} files, {bytes} bytes, {broken} with errors");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bare_parse: {e}");
            ExitCode::from(2)
        }
    }
}
