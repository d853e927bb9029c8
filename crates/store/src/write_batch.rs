//! Writes of one kind that arrive at the same time, written together: a queue per database,
//! and writer tasks that take everything queued and hand it to a [`BatchWriter`] at once.
//!
//! What each caller of [`submit`] can rely on:
//! - **Its own outcome**, from the writer (which answers each item of a batch: see the
//!   writer's own rules, e.g. a refused batch written again item by item).
//! - **Not cancelled by its caller.** Writers are tasks of their own: a caller that gives
//!   up (client gone, request timeout) takes nothing of a batch down with it; its item is
//!   written or not as if it had stayed.
//! - **No wait for a batch to fill.** A writer starts as soon as an item arrives while
//!   fewer than [`MAX_WRITERS`] write; only items that arrive while they all write are
//!   batched, so an idle server writes each item at once.
//! - **No item left behind.** A writer stops only when the queue is empty; one whose task
//!   is dropped (the runtime stops) fails what waits if no other writer is left (nothing of
//!   it was started, so nothing was written).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_trait::async_trait;
use hostpay_domain::ports::StoreError;
use tokio::sync::oneshot;

/// Most items one batch holds.
pub(crate) const MAX_BATCH: usize = 64;

/// Most writer tasks at once per queue (each holds one connection while it writes).
pub(crate) const MAX_WRITERS: usize = 4;

/// Writes batches of items for one database.
#[async_trait]
pub(crate) trait BatchWriter: Clone + Send + Sync + 'static {
    /// What is written.
    type Item: Send + 'static;

    /// Writes `batch`: one outcome per item, in order.
    async fn write(&self, batch: Vec<Self::Item>) -> Vec<Result<(), StoreError>>;
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

/// The live queues of one kind of write, by database: a queue lives while anything waits or
/// is being written (callers and writers hold it), then goes.
pub(crate) type Queues<W> = Mutex<Vec<(u64, Weak<Queue<W>>)>>;

impl<W: BatchWriter> Queue<W> {
    /// The live queue of database `key` in `queues` (a new one if none is live).
    pub(crate) fn of(queues: &Queues<W>, key: u64) -> Arc<Queue<W>> {
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

    /// Takes the next batch, or (none waiting) counts this writer out.
    fn next_batch(&self) -> Option<Vec<Waiting<W::Item>>> {
        let mut state = self.state();
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
        state.waiting.push(Waiting { item, outcome });
        let start = state.writers < MAX_WRITERS;
        if start {
            state.writers += 1;
        }
        start
    };
    if start_writer {
        tokio::spawn(write_all(writer.clone(), queue));
    }
    answer.await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(
            "the writer stopped before it answered".to_owned(),
        ))
    })
}

/// A writer: writes batches until none is waiting.
async fn write_all<W: BatchWriter>(writer: W, queue: Arc<Queue<W>>) {
    let mut guard = WriterGuard {
        queue: &queue,
        counted_out: false,
    };
    while let Some(batch) = queue.next_batch() {
        let (items, senders): (Vec<W::Item>, Vec<_>) = batch
            .into_iter()
            .map(|waiting| (waiting.item, waiting.outcome))
            .unzip();
        let count = items.len();
        let mut outcomes = writer.write(items).await.into_iter();
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
struct WriterGuard<'a, W: BatchWriter> {
    queue: &'a Queue<W>,
    counted_out: bool,
}

impl<W: BatchWriter> Drop for WriterGuard<'_, W> {
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
    }

    #[async_trait]
    impl BatchWriter for Recorder {
        type Item = u32;

        async fn write(&self, batch: Vec<u32>) -> Vec<Result<(), StoreError>> {
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

    #[tokio::test]
    async fn a_caller_that_gives_up_does_not_stop_the_write() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let recorder = Recorder::default();
        let queue = Queue::of(&queues, 1);
        let gave_up = tokio::time::timeout(
            Duration::from_millis(1),
            submit(queue.clone(), &recorder, 2),
        )
        .await;
        assert!(gave_up.is_err(), "the caller left before the write ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(recorder.written.load(Ordering::SeqCst), 1, "written anyway");
    }

    #[test]
    fn one_live_queue_per_database() {
        let queues: Queues<Recorder> = Mutex::new(Vec::new());
        let first = Queue::of(&queues, 1);
        assert!(Arc::ptr_eq(&first, &Queue::of(&queues, 1)));
        assert!(!Arc::ptr_eq(&first, &Queue::of(&queues, 2)));
        drop(first);
        let _again = Queue::of(&queues, 1);
        let live = queues.lock().expect("queues").len();
        assert_eq!(live, 1, "queues nobody holds are dropped from the list");
    }
}
