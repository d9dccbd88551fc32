//! The bounds on the numbers a scenario holds, and why each is where it is.
//!
//! Every number is finite and within a bound when it is read, so that nothing a file
//! says can panic the conversion to engine time (`SimTime` is `u64` nanoseconds, which
//! holds 584 years: every bound here is far inside it), make the engine allocate
//! without end, or run for hours. The bounds are generous: each sits well beyond what a
//! real fleet, a real SLO or a real fault does. `docs/model.md` ("Limits") lists them;
//! `tests/docs.rs` checks that the list and these constants agree.

/// One day of simulated time, in seconds.
pub const DAY: f64 = 86_400.0;

/// The longest run: 30 days of simulated time, the SLO window the pager's burn rates
/// are defined for. Every instant or duration a scenario names (start times, windows,
/// lifetimes) is bounded by it too: a time after the longest horizon never happens.
pub const MAX_HORIZON_SECONDS: f64 = 30.0 * DAY;

/// The most events one run may be allowed: about 11 minutes at the engine's 15 M
/// events/s (`BENCHMARKS.md`). The default (`run.max_events`, 2 000 000 000) is about
/// two minutes.
pub const MAX_EVENTS: u64 = 10_000_000_000;

/// A duration's longest sensible setting for things that are not instants of the run
/// (timeouts, backoff caps, lags, acknowledgement delays): one day.
pub const MAX_DELAY_SECONDS: f64 = DAY;

/// The finest resolution of a duration the engine is asked to keep apart from zero:
/// one microsecond (the latency histogram's unit). Smaller values round to nothing.
pub const MIN_DURATION_SECONDS: f64 = 1e-6;

/// The shortest period of a recurring event (scrapes, health checks, crash-loop
/// backoff, intermittent faults' on and off phases): Kubernetes probes go no finer than
/// a second (Prometheus setups scrape every 10 s to a minute), and each period costs
/// events for the whole run.
pub const MIN_PERIOD_SECONDS: f64 = 1.0;

/// Uncertain parameters in one scenario: reading one checks every corner of their
/// box, 2^12 = 4096 reads of the scenario (a fraction of a second), and twelve
/// unknowns are more than a sensitivity ranking can tell apart in a few hundred runs.
pub const MAX_UNCERTAIN_PARAMS: usize = 12;

/// Pods in the fleet; each is simulated on its own.
pub const MAX_REPLICAS: u32 = 10_000;
/// Workers per pod.
pub const MAX_CONCURRENCY: u32 = 10_000;
/// Workers in the whole fleet (`replicas × concurrency`): each is a slot the engine
/// keeps in memory.
pub const MAX_WORKERS: u64 = 1_000_000;
/// The default per-pod queue bound. A queued request waits at most the request timeout
/// plus one scrape interval (when timed-out requests are swept), so a pod holds about
/// its arrival rate × 25 s at the defaults: 5000 is a pod receiving four times what it
/// can serve. The built-in scenarios under every built-in policy never queue more than
/// 2500 on a pod, so the default changes none of their results; it only stops an
/// overloaded scenario's memory from growing with its load.
pub const DEFAULT_QUEUE_LIMIT: u32 = 5_000;
/// The largest per-pod queue bound.
pub const MAX_QUEUE_LIMIT: u32 = 100_000;
/// Requests the whole fleet may hold queued (`replicas × queue_limit`): 16 bytes each,
/// so at most 800 MB however overloaded the fleet (the default limit fits the largest
/// fleet).
pub const MAX_QUEUED: u64 = 50_000_000;

/// Requests (or sessions) per second: a million is beyond one service's traffic, and
/// the work estimate bounds the product with the horizon anyway.
pub const MAX_RATE: f64 = 1_000_000.0;
/// New sessions per second.
pub const MAX_SESSION_RATE: f64 = 100_000.0;
/// Mean requests per session (the engine's geometric draw stops at a million).
pub const MAX_REQUESTS_PER_SESSION: f64 = 1_000_000.0;
/// Sessions alive at once (rate × how long one lasts): each is a slot in memory.
pub const MAX_LIVE_SESSIONS: f64 = 1_000_000.0;

/// Scrapes over the horizon: each keeps a sample (with latency histograms) and a
/// timeline row in memory. 30 days at a 10 s interval fit.
pub const MAX_SCRAPES: f64 = 300_000.0;
/// Switches of intermittent fault windows over the horizon (all faults): each is an
/// event scheduled when the run starts.
pub const MAX_WINDOW_EDGES: f64 = 1_000_000.0;
/// Client retries waiting at once in the worst case (every request failing, each
/// waiting out its whole backoff): each is a pending event.
pub const MAX_PENDING_RETRIES: f64 = 10_000_000.0;

/// Memory sizes in MB (base, limit, leak per second or per request): a terabyte.
pub const MAX_MEMORY_MB: f64 = 1_048_576.0;
/// Service-time and latency multipliers: a thousand times slower is an outage.
pub const MAX_MULTIPLIER: f64 = 1_000.0;
/// A service time or added latency, in ms: ten minutes, beyond any request timeout.
pub const MAX_SERVICE_MS: f64 = 600_000.0;
/// A log-normal service time's sigma: at 4 the mean is 3000 times the median.
pub const MAX_SIGMA: f64 = 4.0;
/// Client retries of one request (`2^16` × the backoff is already weeks).
pub const MAX_RETRIES: u32 = 16;
/// The first retry backoff, in ms.
pub const MAX_RETRY_BACKOFF_MS: f64 = 60_000.0;
/// Failed health checks before a pod is taken out.
pub const MAX_UNHEALTHY_THRESHOLD: u32 = 100;
/// The SLO window, in days: a year.
pub const MAX_WINDOW_DAYS: f64 = 365.0;

/// A traffic-spike fault's rate multiplier: a hundredfold surge is a front-page event;
/// beyond it the scenario describes a different service.
pub const MAX_SPIKE_MULTIPLIER: f64 = 100.0;
/// Instance kills per pod per hour: one a minute on every pod is already far harsher
/// than any Chaos-Monkey schedule (which kills a few pods a day).
pub const MAX_KILLS_PER_HOUR: f64 = 60.0;
/// A load-balancer weight skew.
pub const MAX_LB_WEIGHT: f64 = 100.0;
/// Pinned client connections (each is a slot in memory).
pub const MAX_CONNECTIONS: u32 = 100_000;
/// Records in a table for the schema faults (a count, never stored one by one).
pub const MAX_RECORDS: u64 = 1_000_000_000;
/// Availability zones.
pub const MAX_ZONES: u32 = 64;
/// Pods a cluster holds (`cluster.max_pods`, each entry of `cluster.zone_pods`):
/// Kubernetes' documented scalability limit is 150 000 pods per cluster. The engine
/// keeps no slot per unit of room, so the bound only keeps the numbers real.
pub const MAX_CLUSTER_PODS: u32 = 150_000;
/// `[[cluster.changes]]`: each is an event that may evict or schedule every pod; a
/// node pool that changes a thousand times in one run is already a storm.
pub const MAX_CLUSTER_CHANGES: usize = 1_000;
/// A memory-leak fault's GC multiplier at the limit.
pub const MAX_GC_MULTIPLIER: f64 = 100.0;
/// Faults in one scenario, implied ones included: the engine's cap (a bit mask of 64
/// per instance), re-exported so the reader refuses what `WorldConfig::check` would.
pub const MAX_FAULTS: usize = sim_core::fault::MAX_FAULTS;

/// `run.fluid_step_seconds`: 10 ms to 5 s, the fluid engine's own bounds
/// (`sim_core::world::Engine::MIN_STEP`, `MAX_STEP`).
pub const MIN_FLUID_STEP_SECONDS: f64 = 0.01;
pub const MAX_FLUID_STEP_SECONDS: f64 = 5.0;
