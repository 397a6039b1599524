//! The metrics registry (ssr-only): request counts and latencies by route since start, and
//! the Prometheus text format they are written in. `http::tracking` records into it,
//! `http::probes` serves it at `/metrics`.
//!
//! Requests are labelled by the route they matched, as written in the router
//! (`/article/{slug}`, `/api/articles/{slug}`, `/rpc/get_article`), never by the path they
//! were called with: the series stay few, and carry no slugs, names or search terms.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

/// The content type of the Prometheus text exposition format 0.0.4.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Request counts and latencies since the registry was made (one per `AppState`).
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    /// route → method → series.
    routes: Mutex<BTreeMap<String, BTreeMap<&'static str, Series>>>,
}

#[derive(Debug, Default)]
struct Series {
    /// status code → requests.
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// A latency histogram over `BUCKETS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// Observations that fell in each bucket (not cumulative); those above the last bound are
    /// counted in `count` only.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|&le| seconds <= le) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// `(le, observations at or below it)` for every bucket and then `+Inf`, cumulative as
    /// Prometheus wants them.
    pub fn cumulative(&self) -> Vec<(String, u64)> {
        let mut total = 0;
        let mut out: Vec<(String, u64)> = BUCKETS
            .iter()
            .zip(self.buckets)
            .map(|(le, n)| {
                total += n;
                (le.to_string(), total)
            })
            .collect();
        out.push(("+Inf".to_owned(), self.count));
        out
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            routes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts one finished request.
    pub fn record(&self, method: &'static str, route: &str, status: StatusCode, took: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), BTreeMap::new());
        }
        if let Some(methods) = routes.get_mut(route) {
            let series = methods.entry(method).or_default();
            *series.statuses.entry(status.as_u16()).or_default() += 1;
            series.latency.observe(took.as_secs_f64());
        }
    }

    /// How long since the registry was made: the process's uptime in the server.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Writes the request counter and the latency histogram.
    pub fn render_http(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let counter = "quire_http_requests_total";
        family(
            out,
            counter,
            "counter",
            "HTTP requests answered, by method, route and status.",
        );
        for (route, methods) in routes.iter() {
            for (method, series) in methods {
                for (status, n) in &series.statuses {
                    let status = status.to_string();
                    let labels = [
                        ("method", *method),
                        ("route", route.as_str()),
                        ("status", status.as_str()),
                    ];
                    sample(out, counter, &labels, n);
                }
            }
        }
        let histogram = "quire_http_request_duration_seconds";
        family(
            out,
            histogram,
            "histogram",
            "Time to the response head, by method and route.",
        );
        let bucket = format!("{histogram}_bucket");
        let sum = format!("{histogram}_sum");
        let count = format!("{histogram}_count");
        for (route, methods) in routes.iter() {
            for (method, series) in methods {
                let labels = [("method", *method), ("route", route.as_str())];
                for (le, n) in series.latency.cumulative() {
                    let labels = [labels[0], labels[1], ("le", le.as_str())];
                    sample(out, &bucket, &labels, n);
                }
                sample(out, &sum, &labels, series.latency.sum());
                sample(out, &count, &labels, series.latency.count());
            }
        }
    }
}

/// Writes a metric family's `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
}

/// Writes one sample line: `name{label="value",...} value`.
pub fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, text)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{label}=\"{}\"", escape_label(text)));
        }
        out.push('}');
    }
    out.push_str(&format!(" {value}\n"));
}

/// A label value as the text format needs it: backslash, double quote and newline escaped.
pub fn escape_label(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("/article/{slug}"), "/article/{slug}");
        assert_eq!(escape_label(r#"a"b"#), r#"a\"b"#);
        assert_eq!(escape_label(r"a\b"), r"a\\b");
        assert_eq!(escape_label("a\nb"), r"a\nb");
        assert_eq!(escape_label("\\\"\n"), r#"\\\"\n"#);
        let mut out = String::new();
        sample(&mut out, "m", &[("route", "x\"y"), ("status", "200")], 3);
        assert_eq!(out, "m{route=\"x\\\"y\",status=\"200\"} 3\n");
        out.clear();
        sample(&mut out, "m", &[], 7);
        assert_eq!(out, "m 7\n");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let mut h = Histogram::default();
        for seconds in [0.001, 0.005, 0.007, 0.3, 2.0, 11.0] {
            h.observe(seconds);
        }
        assert_eq!(h.count(), 6);
        assert!((h.sum() - 13.313).abs() < 1e-9);
        let buckets = h.cumulative();
        let at = |le: &str| {
            buckets
                .iter()
                .find(|(l, _)| l == le)
                .map(|(_, n)| *n)
                .unwrap()
        };
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        // 0.005 is inside its own bucket: `le` means less than or equal.
        assert_eq!(at("0.005"), 2);
        assert_eq!(at("0.01"), 3);
        assert_eq!(at("0.25"), 3);
        assert_eq!(at("0.5"), 4);
        assert_eq!(at("1"), 4);
        assert_eq!(at("2.5"), 5);
        assert_eq!(at("10"), 5);
        // 11 s is above every bound: only +Inf (the count) has it.
        assert_eq!(buckets.last().unwrap(), &("+Inf".to_owned(), 6));
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn the_registry_counts_by_method_route_and_status() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(3);
        metrics.record("GET", "/article/{slug}", StatusCode::OK, ms);
        metrics.record("GET", "/article/{slug}", StatusCode::OK, ms);
        metrics.record("GET", "/article/{slug}", StatusCode::NOT_FOUND, ms);
        metrics.record(
            "POST",
            "/rpc/login",
            StatusCode::OK,
            Duration::from_secs(20),
        );
        let mut out = String::new();
        metrics.render_http(&mut out);
        for line in [
            "# TYPE quire_http_requests_total counter",
            "quire_http_requests_total{method=\"GET\",route=\"/article/{slug}\",status=\"200\"} 2",
            "quire_http_requests_total{method=\"GET\",route=\"/article/{slug}\",status=\"404\"} 1",
            "quire_http_requests_total{method=\"POST\",route=\"/rpc/login\",status=\"200\"} 1",
            "# TYPE quire_http_request_duration_seconds histogram",
            "quire_http_request_duration_seconds_bucket{method=\"GET\",route=\"/article/{slug}\",le=\"0.005\"} 3",
            "quire_http_request_duration_seconds_count{method=\"GET\",route=\"/article/{slug}\"} 3",
            "quire_http_request_duration_seconds_bucket{method=\"POST\",route=\"/rpc/login\",le=\"10\"} 0",
            "quire_http_request_duration_seconds_bucket{method=\"POST\",route=\"/rpc/login\",le=\"+Inf\"} 1",
            "quire_http_request_duration_seconds_sum{method=\"POST\",route=\"/rpc/login\"} 20",
        ] {
            assert!(out.lines().any(|l| l == line), "no `{line}` in\n{out}");
        }
    }
}
