//! `--max-body-bytes`, answered the same over HTTP/1.1 and HTTP/2: a body over the limit gets
//! 413 naming the limit.
//!
//! Answering before the body is read is not enough over HTTP/2: the response ends the stream
//! on our side while the client is still sending, so the server resets the stream and most
//! clients report the reset, not the 413. So the rest of an oversized body is read and
//! thrown away (up to [`DRAIN_BYTES`] more, within [`DRAIN_TIME`]) before the 413 goes out;
//! nothing past the limit is kept. Past those bounds the 413 is sent anyway.

use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

/// How much of an oversized body is read and discarded, at most, before answering 413.
pub const DRAIN_BYTES: usize = 64 * 1024 * 1024;
/// How long that may take, at most.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Middleware: reads the body up to `limit` bytes and hands it on whole, or answers 413.
pub async fn enforce(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit as u64) {
        drain(stream).await;
        return too_large(limit);
    }
    let mut buffer = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return (StatusCode::BAD_REQUEST, "sovereign could not read the request body\n").into_response();
        };
        if buffer.len() + chunk.len() > limit {
            drain(stream).await;
            return too_large(limit);
        }
        buffer.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(buffer))).await
}

fn too_large(limit: usize) -> Response {
    let text = format!("the request body is over the server's limit of {limit} bytes (--max-body-bytes)\n");
    (StatusCode::PAYLOAD_TOO_LARGE, text).into_response()
}

/// Reads what is left of a body and drops it, within the drain bounds.
async fn drain(mut stream: BodyDataStream) {
    let discard = async {
        let mut read = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}
