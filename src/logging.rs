//! Logging: `tracing` to a daily-rotated file through a non-blocking writer,
//! or to stderr when asked. Never to stdout, which carries protocol frames
//! only. Secrets are never passed to a log macro: the AWS SDK's own
//! request/response logging is kept at `warn`, and the host logs model ids,
//! methods and sizes, not headers or credentials.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where the log goes.
#[derive(Debug, Clone)]
pub enum LogTarget {
    Stderr,
    File(PathBuf),
}

impl LogTarget {
    /// `--log-stderr` wins; then `--log-file`; then the default file under the
    /// user's state directory (or the temp dir where there is none).
    pub fn choose(log_stderr: bool, log_file: Option<&Path>) -> Self {
        if log_stderr {
            return Self::Stderr;
        }
        let path = log_file.map(Path::to_path_buf).unwrap_or_else(default_log_file);
        Self::File(path)
    }
}

/// `$XDG_STATE_HOME/bedrock-host/bedrock-host.log` (or the platform's equivalent).
pub fn default_log_file() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("bedrock-host")
        .join("bedrock-host.log")
}

/// Installs the global subscriber. Keep the guard alive until exit: dropping
/// it flushes what the non-blocking writer still holds.
pub fn init(target: &LogTarget, level: Option<&str>) -> anyhow::Result<Option<WorkerGuard>> {
    let filter = build_filter(level.unwrap_or("info"))?;
    match target {
        LogTarget::Stderr => {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .try_init()
                .map_err(|e| anyhow::anyhow!("could not install the logger: {e}"))?;
            Ok(None)
        }
        LogTarget::File(path) => {
            let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let file_name = path
                .file_name()
                .ok_or_else(|| anyhow::anyhow!("--log-file {} names a directory; give a file path", path.display()))?;
            std::fs::create_dir_all(directory).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the log directory {}: {e}; pass --log-file with a writable path or --log-stderr",
                    directory.display()
                )
            })?;
            let appender = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(file_name.to_string_lossy().into_owned())
                .build(directory)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open the log file {}: {e}; pass --log-file with a writable path or --log-stderr",
                        path.display()
                    )
                })?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(writer)
                .with_ansi(false)
                .try_init()
                .map_err(|e| anyhow::anyhow!("could not install the logger: {e}"))?;
            Ok(Some(guard))
        }
    }
}

/// Whether `level` is what `--log-level` accepts (for `initializationOptions.logLevel`); why not, when not.
pub(crate) fn check_level(level: &str) -> Result<(), String> {
    if level.trim().is_empty() || build_filter(level).is_err() {
        return Err(format!(
            "`{}` is not a level or tracing filter; use error, warn, info, debug, trace or a filter such as \
             `bedrock_host=debug`",
            level.escape_debug()
        ));
    }
    Ok(())
}

/// A bare level (`debug`) applies to this crate; the AWS crates stay at
/// `warn` so that their wire logging (headers included) never reaches the log.
fn build_filter(level: &str) -> anyhow::Result<EnvFilter> {
    let directives = if level.contains('=') || level.contains(',') {
        level.to_string()
    } else {
        format!("warn,bedrock_host={level}")
    };
    EnvFilter::try_new(&directives).map_err(|e| {
        anyhow::anyhow!(
            "--log-level `{level}` is not a level or tracing filter ({e}); use error, warn, info, debug or trace"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_level_names_the_flag() {
        let error = build_filter("loud=[").unwrap_err().to_string();
        assert!(error.contains("--log-level `loud=[`"), "{error}");
    }

    #[test]
    fn stderr_wins_over_file() {
        assert!(matches!(LogTarget::choose(true, Some(Path::new("x.log"))), LogTarget::Stderr));
        assert!(
            matches!(LogTarget::choose(false, Some(Path::new("x.log"))), LogTarget::File(p) if p == Path::new("x.log"))
        );
    }
}
