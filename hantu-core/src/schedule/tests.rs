//! The scheduler's decisions at injected times: coalescing after a long pause, misfires beyond
//! the grace, overlapping runs refused, jitter, holidays.

use chrono::NaiveDate;

use super::*;
use crate::domain::Timestamp;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cron_job(name: &str, expr: &str) -> JobSpec {
    JobSpec::new(name, When::new(Trigger::Cron(expr.parse().unwrap())))
}

fn runs(ds: &[Decision]) -> Vec<(String, Timestamp, u32)> {
    ds.iter()
        .filter_map(|x| match x {
            Decision::Run { job, scheduled, coalesced } => Some((job.clone(), *scheduled, *coalesced)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_due_job_runs_once_and_then_waits_for_its_next_fire_time() {
    let day = d(2025, 7, 25);
    let mut s = Scheduler::new(vec![cron_job("a", "*/10 * * * *")], Timestamp::kst(day, 9, 0));
    assert_eq!(s.wake_at(), Some(Timestamp::kst(day, 9, 10)));
    assert!(s.poll(Timestamp::kst(day, 9, 9)).is_empty());
    let r = s.poll(Timestamp::kst(day, 9, 10));
    assert_eq!(runs(&r), vec![("a".to_owned(), Timestamp::kst(day, 9, 10), 0)]);
    assert_eq!(s.running("a"), 1);
    s.finished("a");
    assert!(s.poll(Timestamp::kst(day, 9, 11)).is_empty());
    assert_eq!(s.next_fire("a"), Some(Timestamp::kst(day, 9, 20)));
}

#[test]
fn coalesce_after_a_long_pause_runs_once_for_the_latest_fire_time() {
    let day = d(2025, 7, 25);
    let mut job = cron_job("a", "*/10 * * * *");
    job.misfire_grace_ms = 5 * 60_000;
    let mut s = Scheduler::new(vec![job], Timestamp::kst(day, 9, 0));
    // The process was suspended from 09:05 to 10:02: six fire times passed, the last (10:00) is within grace.
    let r = s.poll(Timestamp::kst(day, 10, 2));
    assert_eq!(runs(&r), vec![("a".to_owned(), Timestamp::kst(day, 10, 0), 5)]);
    assert_eq!(r.len(), 1);
    assert_eq!(s.next_fire("a"), Some(Timestamp::kst(day, 10, 10)));
}

#[test]
fn without_coalesce_each_timely_fire_time_runs_and_the_late_ones_misfire() {
    let day = d(2025, 7, 25);
    let mut job = cron_job("a", "*/10 * * * *");
    job.coalesce = false;
    job.max_instances = 10;
    job.misfire_grace_ms = 15 * 60_000;
    let mut s = Scheduler::new(vec![job], Timestamp::kst(day, 9, 0));
    let r = s.poll(Timestamp::kst(day, 9, 40));
    // 09:10 and 09:20 are more than 15 minutes late; 09:30 and 09:40 run.
    assert_eq!(
        r,
        vec![
            Decision::Misfired { job: "a".into(), scheduled: Timestamp::kst(day, 9, 20), count: 2 },
            Decision::Run { job: "a".into(), scheduled: Timestamp::kst(day, 9, 30), coalesced: 0 },
            Decision::Run { job: "a".into(), scheduled: Timestamp::kst(day, 9, 40), coalesced: 0 },
        ]
    );
}

#[test]
fn a_fire_time_missed_beyond_the_grace_is_a_misfire_not_a_run() {
    let day = d(2025, 7, 25);
    let mut job = cron_job("report", "45 15 * * *");
    job.misfire_grace_ms = 10 * 60_000;
    let mut s = Scheduler::new(vec![job], Timestamp::kst(day, 15, 0));
    let r = s.poll(Timestamp::kst(day, 15, 56));
    assert_eq!(r, vec![Decision::Misfired { job: "report".into(), scheduled: Timestamp::kst(day, 15, 45), count: 1 }]);
    assert_eq!(s.running("report"), 0);
    // Exactly at the edge of the grace it still runs.
    let mut job = cron_job("report", "45 15 * * *");
    job.misfire_grace_ms = 10 * 60_000;
    let mut s = Scheduler::new(vec![job], Timestamp::kst(day, 15, 0));
    assert_eq!(runs(&s.poll(Timestamp::kst(day, 15, 55))).len(), 1);
}

#[test]
fn overlapping_runs_are_refused_until_the_running_one_ends() {
    let day = d(2025, 7, 25);
    let mut s = Scheduler::new(vec![cron_job("slow", "* * * * *")], Timestamp::kst(day, 9, 0));
    assert_eq!(runs(&s.poll(Timestamp::kst(day, 9, 1))).len(), 1);
    assert_eq!(
        s.poll(Timestamp::kst(day, 9, 2)),
        vec![Decision::Refused { job: "slow".into(), scheduled: Timestamp::kst(day, 9, 2) }]
    );
    assert!(!s.start_now("slow"), "a manual run is refused too");
    s.finished("slow");
    assert_eq!(runs(&s.poll(Timestamp::kst(day, 9, 3))).len(), 1);
    s.finished("slow");
    assert!(s.start_now("slow"));
    assert!(!s.start_now("nope"));
}

#[test]
fn jitter_delays_each_fire_time_reproducibly_within_its_bound() {
    let day = d(2025, 7, 25);
    let mut job = cron_job("j", "0 * * * *");
    job.jitter_ms = 120_000;
    let at = Timestamp::kst(day, 10, 0);
    let delay = job.jitter_for(at);
    assert!((0..=120_000).contains(&delay));
    assert_eq!(delay, job.jitter_for(at));
    let mut s = Scheduler::new(vec![job], Timestamp::kst(day, 9, 30));
    assert_eq!(s.wake_at(), Some(Timestamp::from_millis(at.millis() + delay)));
    if delay > 0 {
        assert!(s.poll(Timestamp::from_millis(at.millis() + delay - 1)).is_empty());
    }
    assert_eq!(runs(&s.poll(Timestamp::from_millis(at.millis() + delay))), vec![("j".to_owned(), at, 0)]);
}

#[test]
fn trading_day_jobs_sleep_through_holidays_and_weekends() {
    // Seollal 2025: Jan 27 (substitute), 28, 29, 30 closed; Friday 24 → Friday 31.
    let mut when = When::new(Trigger::Cron("0 8 * * *".parse().unwrap()));
    when.trading_days_only = true;
    let mut s = Scheduler::new(vec![JobSpec::new("refresh", when)], Timestamp::kst(d(2025, 1, 24), 9, 0));
    assert_eq!(s.next_fire("refresh"), Some(Timestamp::kst(d(2025, 1, 31), 8, 0)));
    assert!(s.poll(Timestamp::kst(d(2025, 1, 30), 23, 0)).is_empty());
}

#[test]
fn durations_and_windows_parse_or_say_what_is_wrong() {
    assert_eq!(parse_duration_ms("30s"), Ok(30_000));
    assert_eq!(parse_duration_ms("10m"), Ok(600_000));
    assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
    assert_eq!(parse_duration_ms("250ms"), Ok(250));
    assert!(parse_duration_ms("10").is_err());
    assert!(parse_duration_ms("m").is_err());
    assert!(parse_duration_ms("5w").is_err());
    assert_eq!(parse_window("market"), Ok(Window::Market));
    assert!(matches!(parse_window("08:00-09:00"), Ok(Window::Hours(_, _))));
    assert!(parse_window("09:00-08:00").is_err());
    assert!(parse_window("9-10").is_err());
}
