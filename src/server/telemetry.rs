//! Structured logs with `tracing`: text for people, JSON for log pipelines.
//!
//! Lines are written to stderr by a background thread, so a request never waits on the
//! write. When the queue is full, the logging thread waits rather than dropping lines.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber (`RUST_LOG` overrides the default `info`). Keep the guard
/// until the process ends: dropping it flushes the lines still queued. Safe to call more
/// than once: later calls keep the first subscriber.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    guard
}
