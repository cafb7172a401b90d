//! The result cache on the command line: `--no-cache`, `FORTRESS_CACHE_DIR`,
//! `FORTRESS_CACHE_STATS`, `fortress clean` and `check --show-cache-key`.

use std::path::{Path, PathBuf};

use super::{write_stdout, Target};
use crate::config::{ConfigError, Overrides, Settings};

/// The command line's say on the cache, into `overrides`: on unless
/// `--no-cache`, in `FORTRESS_CACHE_DIR` when set.
pub(super) fn apply_env(overrides: &mut Overrides, no_cache: bool, cwd: &Path) {
    overrides.cache = !no_cache;
    overrides.cache_dir = std::env::var_os("FORTRESS_CACHE_DIR")
        .filter(|v| !v.is_empty())
        .map(|v| crate::paths::absolutize(Path::new(&v), cwd));
    overrides.cache_stats = std::env::var_os("FORTRESS_CACHE_STATS")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
}

/// `fortress check --show-cache-key`: a key for CI caches, the same on
/// every machine for the same fortress build, settings and target Python.
pub(super) fn show_key(settings: &Settings) -> Result<u8, ConfigError> {
    let key = crate::cache::key::shared(settings);
    write_stdout(format!("{key}\n").as_bytes())?;
    Ok(0)
}

#[derive(Debug, clap::Args)]
pub(super) struct CleanArgs {
    /// The project whose cache to remove [default: .]
    paths: Vec<PathBuf>,
    /// Use this configuration file instead of discovering one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long)]
    isolated: bool,
}

/// `fortress clean`: removes the cache directory the configuration (or
/// `FORTRESS_CACHE_DIR`) names, if fortress made it.
pub(super) fn clean(args: CleanArgs) -> Result<u8, ConfigError> {
    let target = Target::resolve(&args.paths, args.config.as_deref(), args.isolated)?;
    let mut overrides = Overrides::default();
    apply_env(&mut overrides, false, &target.cwd);
    let settings = Settings::resolve(target.file.as_ref(), &overrides, target.root.clone())?;
    let Some(dir) = settings.cache_dir else {
        return Ok(0);
    };
    let shown = crate::paths::relative_to(&dir, &target.cwd)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| dir.display().to_string());
    match crate::cache::clean(&dir) {
        Ok(true) => eprintln!("fortress: removed {shown}"),
        Ok(false) => eprintln!("fortress: no cache at {shown}"),
        Err(why) => return Err(ConfigError(format!("error: {why}"))),
    }
    Ok(0)
}
