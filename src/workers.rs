//! A few threads of our own for CPU-bound work (ssr-only): password hashing and Markdown
//! rendering run here, never on the async runtime's workers, so a slow job cannot stall other
//! requests, and at most this many run at once whatever the load.
//!
//! Each thread keeps a working state of its own (`M`) from job to job: the argon2 threads keep
//! their 19 MiB of memory, so the heap is not fragmented by a new allocation per hash. A job
//! whose caller has gone (the client hung up while it waited) is skipped; one that panics
//! fails its own request and the thread goes on.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{AppError, AppResult};

type Job<M> = Box<dyn FnOnce(&mut M) + Send>;

/// The queue of a pool; clone freely. The threads end when every clone is dropped.
#[derive(Debug)]
pub struct Workers<M> {
    name: &'static str,
    jobs: Sender<Job<M>>,
}

impl<M> Clone for Workers<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            jobs: self.jobs.clone(),
        }
    }
}

impl<M: 'static> Workers<M> {
    /// Starts `threads` threads named `quire-{name}-N`, each with the state `state()` makes.
    pub fn start(
        name: &'static str,
        threads: usize,
        state: impl Fn() -> M + Send + Clone + 'static,
    ) -> AppResult<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job<M>>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            let state = state.clone();
            std::thread::Builder::new()
                .name(format!("quire-{name}-{n}"))
                .spawn(move || run_jobs(&queue, state()))
                .map_err(|e| {
                    tracing::error!(error = %e, name, "cannot start a worker thread");
                    AppError::Internal
                })?;
        }
        Ok(Self { name, jobs })
    }

    /// Runs `work` on one of the threads and waits for its answer. With `wait`, a job not
    /// answered within it (the threads are all busy) is given up with 503; it is then
    /// skipped if it has not started.
    pub async fn run<T: Send + 'static>(
        &self,
        wait: Option<Duration>,
        work: impl FnOnce(&mut M) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job<M> = Box::new(move |state| {
            if !answer.is_closed() {
                let _ = answer.send(work(state));
            }
        });
        let name = self.name;
        self.jobs.send(job).map_err(|_| {
            tracing::error!(name, "the worker threads are gone");
            AppError::Internal
        })?;
        let answered = match wait {
            Some(wait) => tokio::time::timeout(wait, answered).await.map_err(|_| {
                tracing::warn!(name, "no worker thread was free in time");
                AppError::Unavailable("the server is busy; please try again".into())
            })?,
            None => answered.await,
        };
        answered.map_err(|_| {
            tracing::error!(name, "a worker job failed");
            AppError::Internal
        })?
    }
}

/// A worker thread: runs jobs until the queue closes.
fn run_jobs<M>(queue: &Mutex<Receiver<Job<M>>>, mut state: M) {
    loop {
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(job) = next else { return };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut state))).is_err() {
            tracing::error!(
                thread = std::thread::current().name().unwrap_or("?"),
                "a worker job panicked"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_the_pool_with_their_thread_state() {
        let pool = Workers::start("test", 2, || 0_u32).expect("pool");
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (count, thread) = pool
                .run(None, |n: &mut u32| {
                    *n += 1;
                    Ok((*n, std::thread::current().name().map(str::to_owned)))
                })
                .await
                .expect("answer");
            assert!(count >= 1);
            seen.push(thread.expect("a named thread"));
        }
        assert!(
            seen.iter().all(|t| t.starts_with("quire-test-")),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_a_busy_pool_answers_503() {
        let pool = Workers::start("test", 1, || ()).expect("pool");
        let failed = pool
            .run(None, |_: &mut ()| -> AppResult<()> { panic!("boom") })
            .await;
        assert_eq!(failed, Err(AppError::Internal));
        assert_eq!(pool.run(None, |_: &mut ()| Ok(7)).await, Ok(7));

        let slow = pool.clone();
        let busy = tokio::spawn(async move {
            slow.run(None, |_: &mut ()| {
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = pool
            .run(Some(Duration::from_millis(20)), |_: &mut ()| Ok(()))
            .await;
        assert!(
            matches!(refused, Err(AppError::Unavailable(_))),
            "{refused:?}"
        );
        busy.await.expect("join").expect("the slow job");
    }
}
