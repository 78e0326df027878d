//! The two text formats a scrape may ask for, chosen from its `Accept` header.
//!
//! The registry encodes OpenMetrics 1.0. The Prometheus text format 0.0.4 (what
//! `promtool check metrics`, node_exporter's textfile collector and older scrapers read)
//! differs in what the registry emits only by counter family names, which carry their
//! `_total` suffix, and by the absence of the `# EOF` marker: sample lines are the same.

use mime::Mime;

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics text format 1.0.0.
    OpenMetrics,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format an `Accept` header prefers: OpenMetrics only when it is asked for with a
    /// higher quality than plain text (Prometheus asks so); the Prometheus text otherwise,
    /// also for a header that cannot be read.
    pub(crate) fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Prometheus;
        };
        let mut open_metrics = 0.0_f32;
        let mut text = 0.0_f32;
        for range in accept.split(',') {
            let Ok(mime) = range.trim().parse::<Mime>() else {
                continue;
            };
            let quality = mime
                .get_param("q")
                .and_then(|q| q.as_str().parse::<f32>().ok())
                .unwrap_or(1.0);
            let is_open_metrics =
                mime.type_() == mime::APPLICATION && mime.subtype() == "openmetrics-text";
            if is_open_metrics {
                open_metrics = open_metrics.max(quality);
            } else if mime.type_() == mime::TEXT || mime.type_() == mime::STAR {
                text = text.max(quality);
            }
        }
        if open_metrics > text {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    /// The registry's OpenMetrics exposition, in this format.
    pub(super) fn convert_open_metrics(self, open_metrics: String) -> String {
        match self {
            Format::OpenMetrics => open_metrics,
            Format::Prometheus => to_prometheus_text(&open_metrics),
        }
    }
}

fn to_prometheus_text(open_metrics: &str) -> String {
    let mut out = String::with_capacity(open_metrics.len());
    let mut help: Option<&str> = None;
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if line.starts_with("# HELP ") {
            help = Some(line);
            continue;
        }
        if let Some(family) = line.strip_prefix("# TYPE ") {
            let (name, kind) = family.split_once(' ').unwrap_or((family, ""));
            let name = match kind {
                "counter" if !name.ends_with("_total") => format!("{name}_total"),
                _ => name.to_owned(),
            };
            if let Some(help) = help.take() {
                let text = help.splitn(4, ' ').nth(3).unwrap_or("");
                out.push_str(&format!("# HELP {name} {text}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
            continue;
        }
        if let Some(help) = help.take() {
            out.push_str(help);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_accept_header_gets_open_metrics() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
             version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    }

    #[test]
    fn browsers_curl_and_bad_headers_get_prometheus_text() {
        for accept in [
            None,
            Some("*/*"),
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some("text/plain;version=0.0.4"),
            Some("application/openmetrics-text;q=0.2,text/plain"),
            Some("%%%,;;"),
        ] {
            assert_eq!(Format::negotiate(accept), Format::Prometheus, "{accept:?}");
        }
    }

    #[test]
    fn counters_get_their_total_suffix_in_prometheus_text() {
        let open_metrics = "# HELP a_things Things.\n# TYPE a_things counter\na_things_total 1\n\
             # HELP b Bees.\n# TYPE b gauge\n# UNIT b bytes\nb 2\n# EOF\n";
        assert_eq!(
            to_prometheus_text(open_metrics),
            "# HELP a_things_total Things.\n# TYPE a_things_total counter\na_things_total 1\n\
             # HELP b Bees.\n# TYPE b gauge\nb 2\n"
        );
    }
}
