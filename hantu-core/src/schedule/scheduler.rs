//! The scheduler's decisions, as a pure state machine over an injected time: which jobs run now,
//! which fire times were missed beyond their grace, which were coalesced, and which were refused
//! because the job is still running. The runner (in the binary) acts on the decisions and tells
//! the scheduler when a run ends.

use super::trigger::When;
use crate::domain::Timestamp;

/// How many missed fire times of one job are examined in one poll (a longer pause is counted, not
/// walked: the rest are reported as one misfire).
const MAX_CATCH_UP: usize = 1000;

/// One job's timing rules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct JobSpec {
    /// Unique name.
    pub name: String,
    /// When it fires.
    pub when: When,
    /// After a pause with several missed fire times, run once (for the latest) instead of once each.
    pub coalesce: bool,
    /// Most runs of this job at once (1: a run due while one is running is refused).
    pub max_instances: u32,
    /// How late a run may start and still count (milliseconds after its fire time).
    pub misfire_grace_ms: i64,
    /// Spread: each fire time is delayed by a fixed pseudo-random amount in `[0, jitter_ms]`
    /// derived from the job name and the fire time (so runs are reproducible).
    pub jitter_ms: i64,
}

impl JobSpec {
    /// A job with the defaults: coalesce, one instance, one minute of grace, no jitter.
    #[must_use]
    pub fn new(name: impl Into<String>, when: When) -> Self {
        Self { name: name.into(), when, coalesce: true, max_instances: 1, misfire_grace_ms: 60_000, jitter_ms: 0 }
    }

    /// The delay added to fire time `at`.
    #[must_use]
    pub fn jitter_for(&self, at: Timestamp) -> i64 {
        if self.jitter_ms <= 0 {
            return 0;
        }
        // FNV-1a over the name and the time: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.name.bytes().chain(at.millis().to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % (self.jitter_ms as u64 + 1)) as i64
    }
}

/// What the scheduler decided about one fire time.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Decision {
    /// Start a run now.
    Run {
        /// Job name.
        job: String,
        /// The fire time it stands for.
        scheduled: Timestamp,
        /// Earlier fire times folded into this run by coalescing.
        coalesced: u32,
    },
    /// Fire time(s) passed by more than the grace; not run.
    Misfired {
        /// Job name.
        job: String,
        /// The (latest) missed fire time.
        scheduled: Timestamp,
        /// How many fire times this stands for.
        count: u32,
    },
    /// The job was still running (at its instance limit); not run.
    Refused {
        /// Job name.
        job: String,
        /// The fire time refused.
        scheduled: Timestamp,
    },
}

#[derive(Clone, Debug)]
struct JobState {
    spec: JobSpec,
    next: Option<Timestamp>,
    running: u32,
}

/// Every job and its next fire time.
#[derive(Clone, Debug)]
pub struct Scheduler {
    jobs: Vec<JobState>,
}

impl Scheduler {
    /// Jobs whose first fire time is the first one after `now`.
    #[must_use]
    pub fn new(specs: Vec<JobSpec>, now: Timestamp) -> Self {
        let jobs = specs
            .into_iter()
            .map(|spec| {
                let next = spec.when.next_after(now);
                JobState { spec, next, running: 0 }
            })
            .collect();
        Self { jobs }
    }

    /// The jobs.
    pub fn specs(&self) -> impl Iterator<Item = &JobSpec> {
        self.jobs.iter().map(|j| &j.spec)
    }

    /// The next fire time of `job` (before jitter).
    #[must_use]
    pub fn next_fire(&self, job: &str) -> Option<Timestamp> {
        self.jobs.iter().find(|j| j.spec.name == job).and_then(|j| j.next)
    }

    /// Runs of `job` in progress.
    #[must_use]
    pub fn running(&self, job: &str) -> u32 {
        self.jobs.iter().find(|j| j.spec.name == job).map_or(0, |j| j.running)
    }

    /// The earliest instant at which [`Scheduler::poll`] may have something to do.
    #[must_use]
    pub fn wake_at(&self) -> Option<Timestamp> {
        self.jobs.iter().filter_map(|j| j.next.map(|n| Timestamp::from_millis(n.millis() + j.spec.jitter_for(n)))).min()
    }

    /// Decides everything due at `now`. A `Run` counts as started until [`Scheduler::finished`].
    pub fn poll(&mut self, now: Timestamp) -> Vec<Decision> {
        let mut out = Vec::new();
        for j in &mut self.jobs {
            let mut due = Vec::new();
            while let Some(n) = j.next {
                if n.millis() + j.spec.jitter_for(n) > now.millis() {
                    break;
                }
                due.push(n);
                // A very long pause is not walked fire time by fire time: past the cap, jump to now.
                j.next = if due.len() < MAX_CATCH_UP { j.spec.when.next_after(n) } else { j.spec.when.next_after(now) };
            }
            if due.is_empty() {
                continue;
            }
            let name = &j.spec.name;
            let late = |t: Timestamp| now.millis() - (t.millis() + j.spec.jitter_for(t)) > j.spec.misfire_grace_ms;
            let (missed, timely): (Vec<Timestamp>, Vec<Timestamp>) = due.iter().partition(|t| late(**t));
            let missed_count = missed.len() as u32;
            if j.spec.coalesce {
                match timely.last() {
                    Some(&t) => {
                        // One run stands for the whole pause, missed fire times included.
                        let coalesced = missed_count + timely.len() as u32 - 1;
                        if j.running >= j.spec.max_instances {
                            out.push(Decision::Refused { job: name.clone(), scheduled: t });
                        } else {
                            j.running += 1;
                            out.push(Decision::Run { job: name.clone(), scheduled: t, coalesced });
                        }
                    }
                    None => {
                        let t = missed.last().copied().unwrap_or(now);
                        out.push(Decision::Misfired { job: name.clone(), scheduled: t, count: missed_count });
                    }
                }
            } else {
                if let Some(&t) = missed.last() {
                    out.push(Decision::Misfired { job: name.clone(), scheduled: t, count: missed_count });
                }
                for t in timely {
                    if j.running >= j.spec.max_instances {
                        out.push(Decision::Refused { job: name.clone(), scheduled: t });
                    } else {
                        j.running += 1;
                        out.push(Decision::Run { job: name.clone(), scheduled: t, coalesced: 0 });
                    }
                }
            }
        }
        out
    }

    /// Starts a run of `job` outside the schedule (`hantu schedule run`), if below its limit.
    /// Returns false (and changes nothing) if the job is unknown or at its instance limit.
    pub fn start_now(&mut self, job: &str) -> bool {
        match self.jobs.iter_mut().find(|j| j.spec.name == job) {
            Some(j) if j.running < j.spec.max_instances => {
                j.running += 1;
                true
            }
            _ => false,
        }
    }

    /// A run of `job` ended.
    pub fn finished(&mut self, job: &str) {
        if let Some(j) = self.jobs.iter_mut().find(|j| j.spec.name == job) {
            j.running = j.running.saturating_sub(1);
        }
    }
}
