//! Logging: `tracing` to a daily-rotated file through a non-blocking writer,
//! or to stderr when asked. Never to stdout, which carries protocol frames
//! only.
//!
//! No filter may put a credential in the log, so two guards sit after
//! whatever filter the user gives (`--log-level`, `initializationOptions.logLevel`):
//! - the AWS crates (`aws_*` targets) never log at TRACE: at that level they
//!   print environment and profile values (`aws_runtime::env_config` prints
//!   `AWS_BEARER_TOKEN_BEDROCK`, the orchestrator the profile file's keys);
//! - every line is written through a redactor that masks the values of the
//!   secret variables this process has ([`SECRET_VARIABLES`], `AWS_BEARER_TOKEN_*`)
//!   and the value after `authorization`, `x-amz-security-token` or `x-emulator-token`.
//!
//! The filter can be replaced while running ([`apply`]): `initialize` does it
//! for `initializationOptions.logLevel`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use regex::bytes::Regex;
use tracing::{Level, Metadata};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, filter, reload};

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

/// Variables whose values are masked wherever they would appear in the log.
pub const SECRET_VARIABLES: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "BEDROCK_HOST_EMULATOR_CONTROL_TOKEN",
    "BEDROCK_EMULATOR_CONTROL_TOKEN",
];

/// What replaces a secret in the log.
const MASK: &[u8] = b"** redacted **";

/// The running filter, replaceable by [`apply`].
static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// Installs the global subscriber. Keep the guard alive until exit: dropping
/// it flushes what the non-blocking writer still holds.
pub fn init(target: &LogTarget, level: Option<&str>) -> anyhow::Result<Option<WorkerGuard>> {
    let level = level.unwrap_or("info");
    let filter = parse_level(level).map_err(|problem| anyhow::anyhow!("--log-level `{level}` {problem}"))?;
    let redactor = Arc::new(Redactor::from_env());
    match target {
        LogTarget::Stderr => {
            install(filter, Redacting { inner: io::stderr, redactor })?;
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
            install(filter, Redacting { inner: writer, redactor })?;
            Ok(Some(guard))
        }
    }
}

/// Whether `level` is what `--log-level` accepts (for `initializationOptions.logLevel`); why not, when not.
pub(crate) fn check_level(level: &str) -> Result<(), String> {
    parse_level(level).map(|_| ()).map_err(|problem| format!("`{}` {problem}", level.escape_debug()))
}

fn install<W>(filter: EnvFilter, writer: W) -> anyhow::Result<()>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let (filter, handle) = reload::Layer::new(filter);
    let output = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter::filter_fn(|metadata| !leaks_credentials(metadata)));
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .map_err(|e| anyhow::anyhow!("could not install the logger: {e}"))?;
    let _ = FILTER.set(handle);
    Ok(())
}

/// Spans and events no filter may let through: the AWS crates at TRACE.
fn leaks_credentials(metadata: &Metadata<'_>) -> bool {
    *metadata.level() == Level::TRACE && metadata.target().starts_with("aws_")
}

/// A level or a filter as `--log-level` and `logLevel` take them: a bare level
/// (`debug`) applies to this crate and leaves the others at `warn`; anything
/// else is a tracing filter (`info,bedrock_host=trace`). The error says what is
/// wrong, for the caller to prefix with where the value came from.
pub fn parse_level(level: &str) -> Result<EnvFilter, String> {
    let hint = "; use error, warn, info, debug or trace, or a filter such as `info,bedrock_host=debug`";
    if level.trim().is_empty() {
        return Err(format!("is empty{hint}"));
    }
    let directives = if level.contains('=') || level.contains(',') {
        if level.split(',').any(|directive| directive.trim().is_empty()) {
            return Err(format!("has an empty directive between commas{hint}"));
        }
        level.to_string()
    } else {
        format!("warn,bedrock_host={level}")
    };
    EnvFilter::builder()
        .with_regex(false)
        .parse(&directives)
        .map_err(|error| format!("is not a level or tracing filter ({error}){hint}"))
}

/// Makes `filter` the log's filter from now on (no effect before [`init`]).
pub fn apply(filter: EnvFilter) {
    if let Some(handle) = FILTER.get()
        && let Err(error) = handle.reload(filter)
    {
        tracing::warn!(%error, "the log filter could not be replaced");
    }
}

/// Masks secrets in formatted log lines.
struct Redactor {
    /// Values of the secret variables this process was started with.
    secrets: Vec<Vec<u8>>,
    /// A credential header or key, the separator after it, and its value.
    labelled: Regex,
}

impl Redactor {
    fn from_env() -> Self {
        let values = std::env::vars_os()
            .filter(|(name, _)| {
                let name = name.to_string_lossy();
                SECRET_VARIABLES.contains(&name.as_ref()) || name.starts_with("AWS_BEARER_TOKEN_")
            })
            .map(|(_, value)| value.to_string_lossy().into_owned());
        Self::new(values)
    }

    fn new(values: impl IntoIterator<Item = String>) -> Self {
        // Short values would mask ordinary words; real secrets are long.
        let mut secrets: Vec<Vec<u8>> =
            values.into_iter().map(|value| value.trim().as_bytes().to_vec()).filter(|value| value.len() >= 8).collect();
        // The longest first, so that a secret containing another is masked whole.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        let labelled = Regex::new(
            r#"(?i)\b((?:proxy-)?authorization|x-amz-security-token|x-emulator-token)(\\?["']?\s*[:=]\s*)(\\?"[^"\\]*\\?"|'[^']*'|[^\s,;"'}\])]+(?: [^\s,;"'}\])]+)?)"#,
        )
        .expect("the credential pattern is valid");
        Redactor { secrets, labelled }
    }

    fn redact<'a>(&self, line: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let mut line = std::borrow::Cow::Borrowed(line);
        for secret in &self.secrets {
            if let Some(replaced) = replace_all(&line, secret, MASK) {
                line = std::borrow::Cow::Owned(replaced);
            }
        }
        if self.labelled.is_match(&line) {
            let replaced = self.labelled.replace_all(&line, &b"${1}${2}** redacted **"[..]).into_owned();
            line = std::borrow::Cow::Owned(replaced);
        }
        line
    }
}

/// `haystack` with every `needle` replaced, or `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let first = haystack.windows(needle.len()).position(|window| window == needle)?;
    let mut out = Vec::with_capacity(haystack.len());
    out.extend_from_slice(&haystack[..first]);
    out.extend_from_slice(with);
    let mut rest = &haystack[first + needle.len()..];
    while let Some(at) = rest.windows(needle.len()).position(|window| window == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// A writer maker whose writers pass every line through the redactor.
struct Redacting<M> {
    inner: M,
    redactor: Arc<Redactor>,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter { inner: self.inner.make_writer(), redactor: Arc::clone(&self.redactor) }
    }
}

/// One event's writer: the formatter hands it the whole line in one `write_all`.
struct RedactingWriter<W> {
    inner: W,
    redactor: Arc<Redactor>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(&self.redactor.redact(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_levels_are_refused_with_the_reason() {
        for bad in ["loud", "bedrock_host=loud", "info,[", "", "  ", "info,,debug", "debug,"] {
            assert!(parse_level(bad).is_err(), "`{bad}` was accepted");
        }
        for good in ["info", "TRACE", "trace,bedrock_host=trace", "bedrock_host=debug", "warn,aws_config=debug"] {
            assert!(parse_level(good).is_ok(), "`{good}` was refused");
        }
        assert!(parse_level("").unwrap_err().starts_with("is empty"));
    }

    #[test]
    fn aws_crates_never_log_at_trace() {
        use tracing::callsite::Identifier;
        use tracing::field::FieldSet;
        use tracing::metadata::Kind;
        struct Site;
        impl tracing::Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!()
            }
        }
        static SITE: Site = Site;
        let metadata = |target: &'static str, level: Level| {
            Metadata::new("e", target, level, None, None, None, FieldSet::new(&[], Identifier(&SITE)), Kind::EVENT)
        };
        assert!(leaks_credentials(&metadata("aws_runtime::env_config", Level::TRACE)));
        assert!(leaks_credentials(&metadata("aws_smithy_runtime::client::orchestrator", Level::TRACE)));
        assert!(!leaks_credentials(&metadata("aws_config", Level::DEBUG)));
        assert!(!leaks_credentials(&metadata("bedrock_host::host", Level::TRACE)));
    }

    #[test]
    fn secrets_and_credential_headers_are_masked() {
        let redactor = Redactor::new(["SeCrEtBeArErToKeN1234".to_owned(), "short".to_owned()]);
        let line = br#"x AWS_BEARER_TOKEN = ("SeCrEtBeArErToKeN1234", { key: "SeCrEtBeArErToKeN1234" }) short"#;
        let redacted = String::from_utf8(redactor.redact(line).into_owned()).unwrap();
        assert!(!redacted.contains("SeCrEtBeArErToKeN1234"), "{redacted}");
        assert!(redacted.contains("short"), "short values are left: {redacted}");
        for line in [
            r#"headers: {"authorization": "Bearer abc.def", "x": "1"}"#,
            "Authorization: Bearer abc.def",
            "x-amz-security-token=abc.def; next",
            r#"{\"x-emulator-token\": \"abc.def\"}"#,
        ] {
            let redacted = String::from_utf8(redactor.redact(line.as_bytes()).into_owned()).unwrap();
            assert!(!redacted.contains("abc.def"), "{line} -> {redacted}");
            assert!(redacted.contains("** redacted **"), "{line} -> {redacted}");
        }
        let plain = b"nothing to see: authorized users only";
        assert_eq!(redactor.redact(plain).as_ref(), plain);
    }
}
