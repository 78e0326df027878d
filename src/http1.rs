//! The HTTP/1 connection settings shared by every listener that speaks HTTP (monitoring,
//! and the web transport before its upgrade): one place for the limits a slow client meets.

use std::time::Duration;

use hyper::server::conn::http1::Builder;
use hyper_util::rt::TokioTimer;

/// Time a client has to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection builder with the header deadline set.
pub(crate) fn connection_builder() -> Builder {
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
}
