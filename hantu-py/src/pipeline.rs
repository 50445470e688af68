//! Reading bars on one core while the engine runs on another.
//!
//! A backtest from columns spends about a quarter of its time turning rows into checked bars and
//! the rest in the engine, one bar after the other. With a second core the two overlap: a thread
//! of its own reads the next chunks while the engine runs the current one, and the chunks'
//! buffers go back and forth between them, so nothing is allocated per chunk.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, TryLockError, mpsc};

use hantu_core::domain::Bar;

/// Chunks read ahead of the engine: enough that it never waits on a reader that is faster than
/// it, few enough that they stay in cache.
const AHEAD: usize = 2;

/// Runs `consume` with a refill function that hands over, in order, the chunks `produce`
/// appends to an emptied buffer, until `produce` appends none: on a second thread when rayon's
/// pool has two or more (`RAYON_NUM_THREADS=1` keeps one), else on the caller's.
///
/// `consume` gets exactly the chunks it would get from calling `produce` itself. When the
/// reader is behind (on a virtual machine its core can be away for milliseconds) and no chunk
/// is waiting, the caller reads the next chunk itself instead of waiting; if `consume` stops
/// early, the reader stops too.
pub(crate) fn pipelined<P, C, R>(produce: P, consume: C) -> R
where
    P: FnMut(&mut Vec<Bar>) + Send,
    C: FnOnce(&mut dyn FnMut(&mut Vec<Bar>)) -> R,
{
    // One reader at a time: whoever holds the lock reads the next chunk, and the thread sends
    // it before letting go, so a caller that gets the lock and finds no chunk waiting knows it
    // is next in line.
    let produce = Mutex::new(produce);
    if rayon::current_num_threads() < 2 {
        return consume(&mut *produce.lock().unwrap_or_else(PoisonError::into_inner));
    }
    let finished = AtomicBool::new(false);
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Bar>>(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Bar>>();
    let (shared, done) = (&produce, &finished);
    std::thread::scope(|s| {
        // If no thread can be started, the caller reads every chunk itself (below).
        let _reader = std::thread::Builder::new().name("hantu-bars".into()).spawn_scoped(s, move || {
            loop {
                let mut produce = shared.lock().unwrap_or_else(PoisonError::into_inner);
                if done.load(Ordering::Acquire) {
                    break;
                }
                let mut buf = empty_rx.try_recv().unwrap_or_default();
                buf.clear();
                produce(&mut buf);
                let last = buf.is_empty();
                done.store(last, Ordering::Release);
                // A closed channel means the engine stopped early: nothing more to read.
                let sent = full_tx.send(buf).is_ok();
                drop(produce);
                if !sent || last {
                    break;
                }
            }
        });
        let mut refill = move |out: &mut Vec<Bar>| {
            let next = match full_rx.try_recv() {
                Ok(next) => Some(next),
                // No chunk waiting, or no reader at all (it could not be started, or it has
                // ended): the caller reads the next chunk itself, unless the reader is at work.
                Err(mpsc::TryRecvError::Empty | mpsc::TryRecvError::Disconnected) => match shared.try_lock() {
                    Ok(mut produce) => read_here(&full_rx, &mut *produce, done, out),
                    Err(TryLockError::Poisoned(p)) => read_here(&full_rx, &mut *p.into_inner(), done, out),
                    // The reader is at work: its chunk comes next.
                    Err(TryLockError::WouldBlock) => full_rx.recv().ok(),
                },
            };
            if let Some(next) = next {
                let used = std::mem::replace(out, next);
                // The reader may be done already; its buffers are then simply dropped.
                let _ = empty_tx.send(used);
            }
        };
        let result = consume(&mut refill);
        // Dropping the receiver here unblocks a reader still waiting to hand over a chunk.
        drop(refill);
        result
    })
}

/// The caller's turn, holding the reader's lock: the chunk waiting if the reader sent one in
/// the meantime (returned), else the next chunk read straight into `out` (`None` returned).
fn read_here<P: FnMut(&mut Vec<Bar>)>(
    full_rx: &mpsc::Receiver<Vec<Bar>>,
    produce: &mut P,
    done: &AtomicBool,
    out: &mut Vec<Bar>,
) -> Option<Vec<Bar>> {
    if let Ok(next) = full_rx.try_recv() {
        return Some(next);
    }
    out.clear();
    if !done.load(Ordering::Acquire) {
        produce(out);
        done.store(out.is_empty(), Ordering::Release);
    }
    None
}
