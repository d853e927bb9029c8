//! Writes of one kind that arrive at the same time, written together: a queue per database
//! and thread, and writer tasks that take everything queued and hand it to a
//! [`BatchWriter`] at once. A queue is its thread's (an HTTP worker's runtime is one
//! thread): its writers run on the runtime of its callers and use that thread's
//! connections, and a runtime that stops takes its callers and its writers together.
//!
//! What each caller of [`submit`] can rely on:
//! - **Its own outcome**, from the writer (which answers each item of a batch: see the
//!   writer's own rules, e.g. a refused batch written again in halves).
//! - **A bounded wait.** Items whose callers left are dropped when a writer takes the next
//!   batch; a queue holds at most [`MAX_WAITING`] items, past which a write is refused at
//!   once (`Unavailable`).
//! - **Not cancelled by its caller, not written after it left.** Writers are tasks of their
//!   own: a caller that gives up (client gone, request timeout) takes nothing of a batch
//!   down with it. An item whose caller left before its writer had a connection is not
//!   written at all (as a lone operation would not be); once the writer has one, it is
//!   written or not as if its caller had stayed.
//! - **No wait for a batch to fill.** A writer starts as soon as an item arrives while
//!   fewer than [`MAX_WRITERS`] write; only items that arrive while they all write are
//!   batched, so an idle server writes each item at once.
//! - **No item left behind.** A writer stops only when the queue is empty; one whose task
//!   is dropped, even before it first ran (its runtime stops), is counted out, and fails
//!   what waits if no other writer is left (nothing of it was started, so nothing was
//!   written).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_trait::async_trait;
use hostpay_domain::ports::StoreError;
use tokio::sync::oneshot;

/// Most items one batch holds.
pub(crate) const MAX_BATCH: usize = 64;

/// Most writer tasks at once per queue (each holds one connection while it writes).
pub(crate) const MAX_WRITERS: usize = 4;

/// Most items a queue holds: past it (the database far slower than the callers) a write
/// is refused at once as `Unavailable` instead of waiting behind all the others.
pub(crate) const MAX_WAITING: usize = 4096;

/// Writes batches of items for one database.
#[async_trait]
pub(crate) trait BatchWriter: Clone + Send + Sync + 'static {
    /// What is written.
    type Item: Send + 'static;
    /// What it writes with.
    type Connection: Send;

    /// A connection to write a batch with.
    async fn connect(&self) -> Result<Self::Connection, StoreError>;

    /// Writes `batch` on `conn`: one outcome per item, in order.
    async fn write(
        &self,
        conn: &mut Self::Connection,
        batch: Vec<Self::Item>,
    ) -> Vec<Result<(), StoreError>>;
}

/// The items waiting for a writer, and how many writers run.
pub(crate) struct Queue<W: BatchWriter> {
    state: Mutex<QueueState<W::Item>>,
}

struct QueueState<T> {
    waiting: Vec<Waiting<T>>,
    writers: usize,
}

/// A queued item and where its outcome goes.
struct Waiting<T> {
    item: T,
    outcome: oneshot::Sender<Result<(), StoreError>>,
}

/// The live queues of one kind of write, by database and thread: a queue lives while
/// anything waits or is being written (callers and writers hold it), then goes.
pub(crate) type Queues<W> = Mutex<Vec<((u64, std::thread::ThreadId), Weak<Queue<W>>)>>;

impl<W: BatchWriter> Queue<W> {
    /// The live queue of database `database` for the calling thread in `queues` (a new one
    /// if none is live).
    pub(crate) fn of(queues: &Queues<W>, database: u64) -> Arc<Queue<W>> {
        let key = (database, std::thread::current().id());
        // A list of keys and weak handles, consistent at every step: a panic elsewhere
        // cannot leave it half-changed.
        let mut queues = queues.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = queues
            .iter()
            .find(|(owner, _)| *owner == key)
            .and_then(|(_, queue)| queue.upgrade())
        {
            return queue;
        }
        queues.retain(|(_, queue)| queue.strong_count() > 0);
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                waiting: Vec::new(),
                writers: 0,
            }),
        });
        queues.push((key, Arc::downgrade(&queue)));
        queue
    }

    fn state(&self) -> MutexGuard<'_, QueueState<W::Item>> {
        // A list and a count, consistent at every step (as in `of`).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the next batch, or (none waiting) counts this writer out. Items whose callers
    /// left are dropped from the whole queue first (nothing of them started).
    fn next_batch(&self) -> Option<Vec<Waiting<W::Item>>> {
        let mut state = self.state();
        state.waiting.retain(|waiting| !waiting.outcome.is_closed());
        if state.waiting.is_empty() {
            state.writers = state.writers.saturating_sub(1);
            return None;
        }
        let take = state.waiting.len().min(MAX_BATCH);
        Some(state.waiting.drain(..take).collect())
    }
}

/// Queues `item` on `queue` and waits for its outcome (written by `writer`, with whatever
/// else is queued).
pub(crate) async fn submit<W: BatchWriter>(
    queue: Arc<Queue<W>>,
    writer: &W,
    item: W::Item,
) -> Result<(), StoreError> {
    let (outcome, answer) = oneshot::channel();
    let start_writer = {
        let mut state = queue.state();
        if state.waiting.len() >= MAX_WAITING {
            return Err(StoreError::Unavailable(format!(
                "{MAX_WAITING} writes are waiting already"
            )));
        }
        state.waiting.push(Waiting { item, outcome });
        let start = state.writers < MAX_WRITERS;
        if start {
            state.writers += 1;
        }
        start
    };
    if start_writer {
        // The guard goes into the task before it is spawned: a task dropped before it first
        // runs still counts its writer out.
        let guard = WriterGuard {
            queue,
            counted_out: false,
        };
        tokio::spawn(write_all(writer.clone(), guard));
    }
    answer.await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(
            "the writer stopped before it answered".to_owned(),
        ))
    })
}

/// A writer: writes batches until none is waiting.
async fn write_all<W: BatchWriter>(writer: W, mut guard: WriterGuard<W>) {
    while let Some(batch) = guard.queue.next_batch() {
        let mut conn = match writer.connect().await {
            Ok(conn) => conn,
            Err(error) => {
                for waiting in batch {
                    let _ = waiting.outcome.send(Err(error.clone()));
                }
                continue;
            }
        };
        // Items whose callers left while the writer waited for its connection are not
        // written (a caller that gives up before anything started changes nothing).
        let (items, senders): (Vec<W::Item>, Vec<_>) = batch
            .into_iter()
            .filter(|waiting| !waiting.outcome.is_closed())
            .map(|waiting| (waiting.item, waiting.outcome))
            .unzip();
        if items.is_empty() {
            continue;
        }
        let count = items.len();
        let mut outcomes = writer.write(&mut conn, items).await.into_iter();
        for sender in senders {
            let outcome = outcomes.next().unwrap_or_else(|| {
                Err(StoreError::Unavailable(format!(
                    "the writer answered fewer than the {count} items of its batch"
                )))
            });
            let _ = sender.send(outcome);
        }
    }
    guard.counted_out = true;
}

/// Counts a writer that ends without finishing (its task dropped) out of the queue, and
/// fails what waits if no writer is left to write it.
struct WriterGuard<W: BatchWriter> {
    queue: Arc<Queue<W>>,
    counted_out: bool,
}

impl<W: BatchWriter> Drop for WriterGuard<W> {
    fn drop(&mut self) {
        if self.counted_out {
            return;
        }
        let orphans = {
            let mut state = self.queue.state();
            state.writers = state.writers.saturating_sub(1);
            if state.writers == 0 {
                std::mem::take(&mut state.waiting)
            } else {
                Vec::new()
            }
        };
        for orphan in orphans {
            let _ = orphan.outcome.send(Err(StoreError::Unavailable(
                "the writer stopped".to_owned(),
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Records each batch's size; refuses odd items.
    #[derive(Clone, Default)]
    struct Recorder {
        batches: Arc<Mutex<Vec<usize>>>,
        written: Arc<AtomicUsize>,
        /// Told each time a writer has its connection.
        connected: Arc<tokio::sync::Notify>,
        /// When set, a connection waits for a permit of it.
        gate: Option<Arc<tokio::sync::Semaphore>>,
    }

    #[async_trait]
    impl BatchWriter for Recorder {
        type Item = u32;
        type Connection = ();

        async fn connect(&self) -> Result<(), StoreError> {
            tokio::time::sleep(Duration::from_millis(2)).await;
            if let Some(gate) = &self.gate {
                gate.acquire().await.expect("an open gate").forget();
            }
            self.connected.notify_one();
            Ok(())
        }

        async fn write(&self, _: &mut (), batch: Vec<u32>) -> Vec<Result<(), StoreError>> {
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(batch.len());
            self.written.fetch_add(batch.len(), Ordering::SeqCst);
            batch
                .into_iter()
                .map(|item| {
                    if item % 2 == 1 {
                        Err(StoreError::Duplicate(format!("item {item}")))
                    } else {
                        Ok(())
                    }
                })
                .collect()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_queued_together_are_written_together_each_with_its_outcome() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let recorder = Recorder::default();
        let queue = Queue::of(&queues, 1);
        let tasks: Vec<_> = (0..200_u32)
            .map(|item| {
                let queue = queue.clone();
                let recorder = recorder.clone();
                tokio::spawn(async move { (item, submit(queue, &recorder, item).await) })
            })
            .collect();
        for task in tasks {
            let (item, outcome) = task.await.expect("a task");
            if item % 2 == 1 {
                assert_eq!(outcome, Err(StoreError::Duplicate(format!("item {item}"))));
            } else {
                assert_eq!(outcome, Ok(()));
            }
        }
        let batches = recorder.batches.lock().expect("batches").clone();
        assert_eq!(batches.iter().sum::<usize>(), 200, "each item written once");
        assert!(
            batches.len() < 200,
            "items waiting were batched: {batches:?}"
        );
        assert!(batches.iter().all(|size| *size <= MAX_BATCH), "{batches:?}");
        assert_eq!(queue.state().writers, 0, "every writer counted out");
    }

    /// Waits (at most 5 s) until `recorder` has written `count` items.
    async fn written(recorder: &Recorder, count: usize) -> usize {
        for _ in 0..500 {
            if recorder.written.load(Ordering::SeqCst) >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        recorder.written.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_does_not_stop_the_write() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let recorder = Recorder::default();
        let queue = Queue::of(&queues, 1);
        let caller = {
            let recorder = recorder.clone();
            tokio::spawn(async move { submit(queue, &recorder, 2).await })
        };
        // The caller leaves once the writer has its connection (this single-threaded
        // runtime runs the test again only when the writer waits inside its write).
        recorder.connected.notified().await;
        caller.abort();
        assert!(
            caller.await.is_err(),
            "the caller left before the write ended"
        );
        assert_eq!(written(&recorder, 1).await, 1, "written anyway");
    }

    #[tokio::test]
    async fn a_caller_gone_before_the_connection_is_not_written() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let recorder = Recorder {
            gate: Some(gate.clone()),
            ..Recorder::default()
        };
        let queue = Queue::of(&queues, 1);
        let caller = {
            let recorder = recorder.clone();
            let queue = queue.clone();
            tokio::spawn(async move { submit(queue, &recorder, 2).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        caller.abort();
        assert!(
            caller.await.is_err(),
            "the caller left while the writer waited"
        );
        gate.add_permits(1);
        recorder.connected.notified().await;
        // The writer is counted out once it found nothing left to write.
        for _ in 0..500 {
            if queue.state().writers == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(queue.state().writers, 0, "the writer ended");
        assert_eq!(
            recorder.written.load(Ordering::SeqCst),
            0,
            "nothing written"
        );
    }

    #[test]
    fn a_writer_dropped_before_it_ran_is_counted_out_and_fails_what_waits() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let recorder = Recorder::default();
        let queue = Queue::of(&queues, 1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (outcome, answer) = oneshot::channel();
        queue.state().waiting.push(Waiting { item: 2, outcome });
        queue.state().writers = 1;
        let guard = WriterGuard {
            queue: queue.clone(),
            counted_out: false,
        };
        runtime.spawn(write_all(recorder, guard));
        drop(runtime);
        assert_eq!(queue.state().writers, 0, "the writer was counted out");
        assert!(
            matches!(answer.blocking_recv(), Ok(Err(StoreError::Unavailable(_)))),
            "what waited was told, not left hanging"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_callers_that_left_make_room() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let recorder = Recorder::default();
        let queue = Queue::of(&queues, 1);
        let mut answers = Vec::new();
        {
            let mut state = queue.state();
            state.writers = MAX_WRITERS; // no writer may start: everything waits
            for item in 0..MAX_WAITING {
                let (outcome, answer) = oneshot::channel();
                state.waiting.push(Waiting {
                    item: u32::try_from(item).expect("small"),
                    outcome,
                });
                answers.push(answer);
            }
        }
        let refused = submit(queue.clone(), &recorder, 7).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(_))),
            "{refused:?}"
        );
        drop(answers);
        queue.state().writers = MAX_WRITERS - 1;
        assert!(
            queue.next_batch().is_none(),
            "left callers are dropped, not written"
        );
        assert_eq!(
            queue.state().writers,
            MAX_WRITERS - 2,
            "and that writer counted out"
        );
    }

    #[test]
    fn one_live_queue_per_database_and_thread() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let first = Queue::of(&queues, 1);
        assert!(Arc::ptr_eq(&first, &Queue::of(&queues, 1)));
        assert!(!Arc::ptr_eq(&first, &Queue::of(&queues, 2)));
        let elsewhere = std::thread::scope(|scope| {
            scope
                .spawn(|| Queue::of(&queues, 1))
                .join()
                .expect("a thread")
        });
        assert!(
            !Arc::ptr_eq(&first, &elsewhere),
            "another thread, another queue"
        );
        drop(elsewhere);
        drop(first);
        let _again = Queue::of(&queues, 1);
        let live = queues.lock().expect("queues").len();
        assert_eq!(live, 1, "queues nobody holds are dropped from the list");
    }
}
