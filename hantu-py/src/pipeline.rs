//! Reading bars on one core while the engine runs on another.
//!
//! A backtest from columns spends about a quarter of its time turning rows into checked bars and
//! the rest in the engine, one bar after the other. With a second core the two overlap: a thread
//! of its own reads the next chunks while the engine runs the current one, and the chunks'
//! buffers go back and forth between them, so nothing is allocated per chunk.

use std::sync::{Mutex, PoisonError, mpsc};

use hantu_core::domain::Bar;

/// Chunks read ahead of the engine: enough that it never waits on a reader that is faster than
/// it, few enough that they stay in cache.
const AHEAD: usize = 2;

/// Runs `consume` with a refill function that hands over, in order, the chunks `produce`
/// appends to an emptied buffer, until `produce` appends none: on a second thread when rayon's
/// pool has two or more (`RAYON_NUM_THREADS=1` keeps one), else on the caller's.
///
/// `consume` gets exactly the chunks it would get from calling `produce` itself; if it stops
/// early, the reader stops too.
pub(crate) fn pipelined<P, C, R>(produce: P, consume: C) -> R
where
    P: FnMut(&mut Vec<Bar>) + Send,
    C: FnOnce(&mut dyn FnMut(&mut Vec<Bar>)) -> R,
{
    // Held in a mutex (never contended) so that the caller can take the reader back when no
    // thread can be started.
    let produce = Mutex::new(produce);
    if rayon::current_num_threads() < 2 {
        return consume(&mut *produce.lock().unwrap_or_else(PoisonError::into_inner));
    }
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<Bar>>(AHEAD);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Bar>>();
    let shared = &produce;
    std::thread::scope(|s| {
        let reader = std::thread::Builder::new().name("hantu-bars".into()).spawn_scoped(s, move || {
            let mut produce = shared.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                let mut buf = empty_rx.try_recv().unwrap_or_default();
                buf.clear();
                produce(&mut buf);
                let done = buf.is_empty();
                // A closed channel means the engine stopped early: nothing more to read.
                if full_tx.send(buf).is_err() || done {
                    break;
                }
            }
        });
        if reader.is_err() {
            return consume(&mut *produce.lock().unwrap_or_else(PoisonError::into_inner));
        }
        let mut refill = move |out: &mut Vec<Bar>| match full_rx.recv() {
            Ok(next) => {
                let used = std::mem::replace(out, next);
                // The reader may be done already; its buffers are then simply dropped.
                let _ = empty_tx.send(used);
            }
            // The reader ended (it always sends its last, empty chunk first): no more bars.
            Err(_) => out.clear(),
        };
        let result = consume(&mut refill);
        // Dropping the receiver here unblocks a reader still waiting to hand over a chunk.
        drop(refill);
        result
    })
}
