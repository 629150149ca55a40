//! The counters behind `GET /metrics`, and their Prometheus text exposition (format 0.0.4).
//!
//! Written by hand rather than with a metrics crate because what we need is small (counters, one
//! histogram, gauges) and the hot path must stay cheap: recording a request is a hash of its
//! operation name, a probe of a fixed table and four relaxed atomic adds, with no lock and no
//! allocation once the name has been seen. Label values come only from bounded sets: operation
//! names (at most `config::Metrics::max_operation_names`, the rest counted as `other`), our own
//! error codes, cache names and entity kinds.
//!
//! Side by side in one release build (branch `house-telemetry-candidates`,
//! `LEAP_CANDIDATE=prometheus`: `prometheus-client`'s families of counters and histograms in
//! place of these on the request path, labels as owned strings as its derive wants them), a
//! cached Catalogue request took 17,777 instructions with the crate against 16,503 with these
//! counters: 7.7% more (`[LEAP_CANDIDATE=prometheus] bench/callgrind.sh Catalogue BINARY`,
//! median of 3). Its text encoder writes OpenMetrics besides, not this format 0.0.4.
//!
//! Imports: `config` (the label limit), `store` (what a graph holds, for its gauges) and
//! `keyed` (the hash of the label tables).

use std::fmt::Write as _;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::keyed::Keyed;
use crate::store::Store;
use crate::store::model::Kind;

/// The media type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The server's caches, each with its hit and miss counters (which read 0 before the first
/// lookup rather than being absent). A fixed set: counting a lookup is an index, not a
/// label's hash, on every cache hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeteredCache {
    /// Parsed documents.
    Document = 0,
    /// Plans: a hit is a request the plan executor answered, a miss one it handed back to
    /// async-graphql.
    Plan = 1,
    /// Whole responses, served again.
    Response = 2,
}

impl MeteredCache {
    /// Every cache, in the order of their counters and of their labels (as `/metrics`
    /// lists them).
    const ALL: [MeteredCache; 3] = [
        MeteredCache::Document,
        MeteredCache::Plan,
        MeteredCache::Response,
    ];

    fn label(self) -> &'static str {
        match self {
            MeteredCache::Response => "response",
            MeteredCache::Document => "document",
            MeteredCache::Plan => "plan",
        }
    }
}

/// How one GraphQL request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Executed, without errors.
    Ok,
    /// Executed, with field errors in the response.
    Error,
    /// Refused with a request error before execution; the code is counted as a rejection.
    Rejected(&'static str),
    /// Answered 503 (every permit taken, or over the timeout); the code is counted as a
    /// rejection too.
    Shed(&'static str),
}

impl RequestOutcome {
    const LABELS: [&'static str; 4] = ["ok", "error", "rejected", "shed"];

    fn index(self) -> usize {
        match self {
            RequestOutcome::Ok => 0,
            RequestOutcome::Error => 1,
            RequestOutcome::Rejected(_) => 2,
            RequestOutcome::Shed(_) => 3,
        }
    }

    /// Whether the operation ran, which proves its name is in the document and so earns it a
    /// label of its own.
    fn executed(self) -> bool {
        matches!(self, RequestOutcome::Ok | RequestOutcome::Error)
    }

    fn code(self) -> Option<&'static str> {
        match self {
            RequestOutcome::Rejected(code) | RequestOutcome::Shed(code) => Some(code),
            RequestOutcome::Ok | RequestOutcome::Error => None,
        }
    }
}

/// Upper bounds of the latency buckets, in microseconds (500 µs to 10 s; the default request
/// timeout is 5 s).
const BUCKETS_MICROS: [u64; 14] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// A latency histogram with fixed buckets. Counts are kept per bucket and made cumulative when
/// rendered, so that recording touches one bucket.
#[derive(Default)]
struct Histogram {
    /// One count per bound in [`BUCKETS_MICROS`], then one for everything above.
    counts: [AtomicU64; BUCKETS_MICROS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_MICROS.partition_point(|&bound| bound < micros);
        if let Some(count) = self.counts.get(bucket) {
            count.fetch_add(1, Relaxed);
        }
        self.sum_micros.fetch_add(micros, Relaxed);
    }
}

/// What is counted for one operation name.
#[derive(Default)]
struct OperationStats {
    /// Requests by outcome, in [`RequestOutcome::LABELS`]'s order.
    outcomes: [AtomicU64; 4],
    latency: Histogram,
}

/// One slot of a [`Labels`] table: a label value, set once, and its counters.
#[derive(Default)]
struct Slot<T> {
    name: OnceLock<Box<str>>,
    value: T,
}

/// A fixed-size map from label values to counters that needs no lock: an open-addressing
/// table whose slots are claimed once and never freed, at most `limit` of them, with every
/// name past the limit sharing `other`. It is twice as large as the limit (at least), so
/// that probes stay short, and its hash is keyed with the process's secret seed, so that
/// nobody can choose names that all probe from the same slot.
struct Labels<T> {
    slots: Box<[Slot<T>]>,
    keyed: Keyed,
    limit: usize,
    used: AtomicUsize,
    other: T,
}

impl<T: Default> Labels<T> {
    fn new(limit: usize) -> Labels<T> {
        let size = limit.saturating_mul(2).next_power_of_two().max(8);
        Labels {
            slots: (0..size).map(|_| Slot::default()).collect(),
            keyed: Keyed::new(),
            limit,
            used: AtomicUsize::new(0),
            other: T::default(),
        }
    }

    /// The counters for `name`. An unseen name takes a free slot only when `claim` is true
    /// and the limit is not reached; otherwise it is counted under `other`.
    fn get(&self, name: &str, claim: bool) -> &T {
        let mask = self.slots.len() - 1;
        let start = self.keyed.hash_one(name.as_bytes());
        for probe in 0..self.slots.len() {
            let Some(slot) = self
                .slots
                .get((start.wrapping_add(probe as u64) as usize) & mask)
            else {
                break;
            };
            match slot.name.get() {
                Some(taken) if **taken == *name => return &slot.value,
                Some(_) => continue,
                None if !claim => return &self.other,
                None => {}
            }
            if self.used.fetch_add(1, Relaxed) >= self.limit {
                self.used.fetch_sub(1, Relaxed);
                return &self.other;
            }
            // Another request may claim this slot first, for its own name or for ours; only
            // the one that set the name keeps its reservation.
            let mut mine = false;
            let taken = slot.name.get_or_init(|| {
                mine = true;
                name.into()
            });
            if !mine {
                self.used.fetch_sub(1, Relaxed);
            }
            if **taken == *name {
                return &slot.value;
            }
        }
        &self.other
    }

    /// Every claimed label with its counters, sorted by label, for a stable page.
    fn entries(&self) -> Vec<(&str, &T)> {
        let mut entries: Vec<(&str, &T)> = self
            .slots
            .iter()
            .filter_map(|s| s.name.get().map(|n| (&**n, &s.value)))
            .collect();
        entries.sort_unstable_by_key(|(name, _)| *name);
        entries
    }
}

/// Whether `name` is a GraphQL name of sane length; anything else a client sends as
/// `operationName` is counted as `other` and never becomes a label.
fn is_operation_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 128
        && bytes
            .next()
            .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Every metric the server keeps. One per server, shared by every request.
pub struct Metrics {
    operations: Labels<OperationStats>,
    /// Requests that name no operation.
    anonymous: OperationStats,
    rejections: Labels<AtomicU64>,
    /// Lookups per cache, in [`MeteredCache`]'s order: hits, then misses.
    caches: [[AtomicU64; 2]; MeteredCache::ALL.len()],
    /// Reloads that swapped in a new graph, then reloads that failed.
    reloads: [AtomicU64; 2],
    /// When the last reload of each result happened, in milliseconds since the epoch (0 for
    /// never).
    last_reload_millis: [AtomicU64; 2],
    generation: AtomicU64,
    /// Entities in the current graph, in [`Kind::ALL`]'s order.
    entities: [AtomicU64; Kind::ALL.len()],
    /// Subscriptions started, ended, and the events sent to them.
    subscriptions: [AtomicU64; 3],
    /// Review transactions committed, and the writes they held (read from the reviews when
    /// the page is rendered).
    review_commits: [AtomicU64; 2],
}

impl Metrics {
    pub fn new(config: &crate::config::Metrics) -> Metrics {
        Metrics {
            operations: Labels::new(config.max_operation_names),
            anonymous: OperationStats::default(),
            // Our codes number a few dozen; the limit only guards against a new one being
            // built from request text by mistake.
            rejections: Labels::new(64),
            caches: Default::default(),
            reloads: Default::default(),
            last_reload_millis: Default::default(),
            generation: AtomicU64::new(0),
            entities: Default::default(),
            subscriptions: Default::default(),
            review_commits: Default::default(),
        }
    }

    /// The review transactions committed since start, and the writes they held.
    pub fn review_commits(&self, transactions: u64, writes: u64) {
        self.review_commits[0].store(transactions, Relaxed);
        self.review_commits[1].store(writes, Relaxed);
    }

    /// A subscription started (over WebSocket or SSE).
    pub fn subscription_started(&self) {
        self.subscriptions[0].fetch_add(1, Relaxed);
    }

    /// A subscription ended, however.
    pub fn subscription_ended(&self) {
        self.subscriptions[1].fetch_add(1, Relaxed);
    }

    /// An event went out to a subscriber.
    pub fn subscription_event(&self) {
        self.subscriptions[2].fetch_add(1, Relaxed);
    }

    /// Counts one GraphQL request: its operation (the request's `operationName`, or none),
    /// how it ended and how long it took.
    pub fn request(&self, operation: Option<&str>, outcome: RequestOutcome, elapsed: Duration) {
        let stats = match operation {
            None => &self.anonymous,
            Some(name) if !is_operation_name(name) => &self.operations.other,
            Some(name) => self.operations.get(name, outcome.executed()),
        };
        if let Some(count) = stats.outcomes.get(outcome.index()) {
            count.fetch_add(1, Relaxed);
        }
        stats.latency.observe(elapsed);
        if let Some(code) = outcome.code() {
            self.rejections.get(code, true).fetch_add(1, Relaxed);
        }
    }

    /// A cache answered a lookup from what it held.
    pub fn cache_hit(&self, cache: MeteredCache) {
        self.caches[cache as usize][0].fetch_add(1, Relaxed);
    }

    /// A cache had to compute the answer to a lookup.
    pub fn cache_miss(&self, cache: MeteredCache) {
        self.caches[cache as usize][1].fetch_add(1, Relaxed);
    }

    /// A new graph is serving: its generation and what it holds.
    pub fn graph_installed(&self, store: &Store, generation: u64) {
        for (count, kind) in self.entities.iter().zip(Kind::ALL) {
            count.store(store.len(kind) as u64, Relaxed);
        }
        self.generation.store(generation, Relaxed);
    }

    /// A reload finished: it swapped in a new graph (`ok`) or left the old one serving.
    pub fn reloaded(&self, ok: bool) {
        let i = usize::from(!ok);
        self.reloads[i].fetch_add(1, Relaxed);
        self.last_reload_millis[i].store(unix_millis(), Relaxed);
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Page(String::with_capacity(8 * 1024));
        self.render_requests(&mut out);

        out.family(
            "leap_graphql_rejections_total",
            "counter",
            "GraphQL requests refused with a request error or shed, by error code.",
        );
        for (code, count) in self.rejections.entries() {
            out.sample(
                "leap_graphql_rejections_total",
                &[("code", code)],
                count.load(Relaxed),
            );
        }

        out.family(
            "leap_graphql_cache_lookups_total",
            "counter",
            "MeteredCache lookups, by cache and result; the hit ratio is hit / (hit + miss).",
        );
        for (cache, counts) in MeteredCache::ALL.iter().zip(&self.caches) {
            for (result, count) in ["hit", "miss"].into_iter().zip(counts) {
                out.sample(
                    "leap_graphql_cache_lookups_total",
                    &[("cache", cache.label()), ("result", result)],
                    count.load(Relaxed),
                );
            }
        }

        out.family(
            "leap_graphql_reloads_total",
            "counter",
            "Reloads of the seed directory, by result: ok swapped in a new graph, failed kept the old one.",
        );
        out.family(
            "leap_graphql_last_reload_timestamp_seconds",
            "gauge",
            "When the last reload of each result finished, in seconds since the Unix epoch; 0 for never.",
        );
        for (i, result) in ["ok", "failed"].into_iter().enumerate() {
            out.sample(
                "leap_graphql_reloads_total",
                &[("result", result)],
                self.reloads[i].load(Relaxed),
            );
            out.sample_f64(
                "leap_graphql_last_reload_timestamp_seconds",
                &[("result", result)],
                self.last_reload_millis[i].load(Relaxed) as f64 / 1e3,
            );
        }

        out.family(
            "leap_graphql_graph_generation",
            "gauge",
            "The generation of the graph being served: 1 for the graph loaded at start, one more for each reload that swapped.",
        );
        out.sample(
            "leap_graphql_graph_generation",
            &[],
            self.generation.load(Relaxed),
        );

        out.family(
            "leap_graphql_graph_entities",
            "gauge",
            "Entities in the graph being served, by kind.",
        );
        for (count, kind) in self.entities.iter().zip(Kind::ALL) {
            out.sample(
                "leap_graphql_graph_entities",
                &[("kind", kind.name())],
                count.load(Relaxed),
            );
        }

        let [started, ended, events] = &self.subscriptions;
        let (started, ended) = (started.load(Relaxed), ended.load(Relaxed));
        out.family(
            "leap_graphql_subscriptions_total",
            "counter",
            "Subscriptions started, over WebSocket and SSE together.",
        );
        out.sample("leap_graphql_subscriptions_total", &[], started);
        out.family(
            "leap_graphql_subscriptions_open",
            "gauge",
            "Subscriptions open now.",
        );
        out.sample(
            "leap_graphql_subscriptions_open",
            &[],
            started.saturating_sub(ended),
        );
        out.family(
            "leap_graphql_subscription_events_total",
            "counter",
            "Events sent to subscribers.",
        );
        out.sample(
            "leap_graphql_subscription_events_total",
            &[],
            events.load(Relaxed),
        );
        let [transactions, writes] = &self.review_commits;
        out.family(
            "leap_graphql_review_transactions_total",
            "counter",
            "Review transactions committed; concurrent writes share one (group commit).",
        );
        out.sample(
            "leap_graphql_review_transactions_total",
            &[],
            transactions.load(Relaxed),
        );
        out.family(
            "leap_graphql_review_writes_total",
            "counter",
            "Review writes committed (adds, edits, deletes, hides).",
        );
        out.sample(
            "leap_graphql_review_writes_total",
            &[],
            writes.load(Relaxed),
        );
        out.0
    }

    fn render_requests(&self, out: &mut Page) {
        let named = self.operations.entries();
        let all = named.iter().copied().chain([
            ("anonymous", &self.anonymous),
            ("other", &self.operations.other),
        ]);
        out.family(
            "leap_graphql_requests_total",
            "counter",
            "GraphQL requests, by operationName (anonymous when none; other past the label limit) and outcome: ok, error (field errors), rejected (request errors), shed (503).",
        );
        for (operation, stats) in all.clone() {
            for (outcome, count) in RequestOutcome::LABELS.into_iter().zip(&stats.outcomes) {
                out.sample(
                    "leap_graphql_requests_total",
                    &[("operation", operation), ("outcome", outcome)],
                    count.load(Relaxed),
                );
            }
        }
        out.family(
            "leap_graphql_request_duration_seconds",
            "histogram",
            "How long GraphQL requests took to answer, by operationName.",
        );
        for (operation, stats) in all {
            let labels = [("operation", operation)];
            let mut cumulative = 0;
            for (i, count) in stats.latency.counts.iter().enumerate() {
                cumulative += count.load(Relaxed);
                let le = match BUCKETS_MICROS.get(i) {
                    Some(&bound) => format!("{}", bound as f64 / 1e6),
                    None => "+Inf".to_owned(),
                };
                out.sample(
                    "leap_graphql_request_duration_seconds_bucket",
                    &[("operation", operation), ("le", &le)],
                    cumulative,
                );
            }
            out.sample_f64(
                "leap_graphql_request_duration_seconds_sum",
                &labels,
                stats.latency.sum_micros.load(Relaxed) as f64 / 1e6,
            );
            out.sample(
                "leap_graphql_request_duration_seconds_count",
                &labels,
                cumulative,
            );
        }
    }
}

/// A page of the text format being written.
struct Page(String);

impl Page {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.labels(name, labels);
        let _ = writeln!(self.0, " {value}");
    }

    fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.labels(name, labels);
        let _ = writeln!(self.0, " {value}");
    }

    fn labels(&mut self, name: &str, labels: &[(&str, &str)]) {
        self.0.push_str(name);
        if labels.is_empty() {
            return;
        }
        self.0.push('{');
        for (i, (key, value)) in labels.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            let _ = write!(self.0, "{key}=\"");
            // Our label values are names and codes, but escaping costs nothing at render time
            // and keeps the page parseable whatever a future label holds.
            for c in value.chars() {
                match c {
                    '\\' => self.0.push_str("\\\\"),
                    '"' => self.0.push_str("\\\""),
                    '\n' => self.0.push_str("\\n"),
                    c => self.0.push(c),
                }
            }
            self.0.push('"');
        }
        self.0.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_are_listed_in_counter_and_label_order() {
        for (i, cache) in MeteredCache::ALL.iter().enumerate() {
            assert_eq!(*cache as usize, i);
        }
        assert!(MeteredCache::ALL.is_sorted_by_key(|c| c.label()));
    }

    #[test]
    fn labels_are_bounded_and_stable() {
        let labels: Labels<AtomicU64> = Labels::new(3);
        for name in ["a", "b", "c", "d", "a"] {
            labels.get(name, true).fetch_add(1, Relaxed);
        }
        let counts: Vec<(&str, u64)> = labels
            .entries()
            .into_iter()
            .map(|(n, c)| (n, c.load(Relaxed)))
            .collect();
        assert_eq!(counts, [("a", 2), ("b", 1), ("c", 1)]);
        assert_eq!(labels.other.load(Relaxed), 1, "d is past the limit");
        // A name that may not claim a slot still finds the one it has.
        assert!(std::ptr::eq(labels.get("b", false), labels.get("b", true)));
        assert!(std::ptr::eq(labels.get("zz", false), &labels.other));
    }

    #[test]
    fn unclaimed_names_count_as_other() {
        let metrics = Metrics::new(&crate::config::Metrics::default());
        metrics.request(
            Some("Nope"),
            RequestOutcome::Rejected("BAD_REQUEST"),
            Duration::ZERO,
        );
        metrics.request(Some("not a name"), RequestOutcome::Ok, Duration::ZERO);
        metrics.request(None, RequestOutcome::Ok, Duration::from_millis(3));
        let page = metrics.render();
        assert!(
            page.contains(r#"leap_graphql_requests_total{operation="other",outcome="rejected"} 1"#),
            "{page}"
        );
        assert!(
            page.contains(r#"leap_graphql_requests_total{operation="other",outcome="ok"} 1"#),
            "{page}"
        );
        assert!(page.contains(r#"leap_graphql_request_duration_seconds_bucket{operation="anonymous",le="0.0025"} 0"#), "{page}");
        assert!(page.contains(r#"leap_graphql_request_duration_seconds_bucket{operation="anonymous",le="0.005"} 1"#), "{page}");
        assert!(!page.contains("Nope"), "{page}");
    }

    #[test]
    fn histogram_buckets_are_inclusive_upper_bounds() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_micros(501));
        h.observe(Duration::from_secs(60));
        assert_eq!(h.counts[0].load(Relaxed), 1);
        assert_eq!(h.counts[1].load(Relaxed), 1);
        assert_eq!(h.counts[BUCKETS_MICROS.len()].load(Relaxed), 1);
    }
}
