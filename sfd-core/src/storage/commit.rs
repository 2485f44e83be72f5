//! [`GroupCommit`]: concurrent edits of one drama in one process share one
//! read and one compare-and-swap write.
//!
//! Every edit joins the queue of its drama. One edit at a time holds the
//! drama's leadership: it takes every queued edit as a batch, reads the
//! document once, lets each edit apply itself in turn (in its own task, so
//! edits may borrow), and writes the result with one conditional write.
//! Edits that arrive meanwhile queue for the next batch, which the leader
//! hands to one of them. An edit that fails its own checks (validation, or
//! its own `If-Match`) is rolled back and fails alone; the rest commit.
//! Across processes the write stays compare-and-swap: a lost one re-reads
//! and re-applies the whole batch. A leader dropped while its write is in
//! flight leaves its edits in doubt: the next batch sees whether that
//! write landed before applying any of them again, so no edit counts twice.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::ext::{MAX_EDIT_ATTEMPTS, Versioned, backoff};
use super::{Key, Storage, Version, WriteMode};
use crate::error::EntityKind;
use crate::model::{Drama, Problems, validate};
use crate::{Error, Result};

/// Batches the concurrent edits of each drama (see the module docs).
///
/// Held by a [`Storage`] and offered through [`Capabilities::group_commit`](super::Capabilities::group_commit);
/// [`crate::StorageExt::modify_drama`] uses it whenever it is offered.
#[derive(Debug, Default)]
pub struct GroupCommit {
    /// Per key, the edits waiting for the next batch. A key is present
    /// while some edit holds its leadership (or it is on its way to one).
    queues: Mutex<HashMap<String, Vec<Member>>>,
}

/// One waiting edit, as the leader sees it.
#[derive(Debug)]
struct Member {
    expected: Option<Version>,
    turns: mpsc::UnboundedSender<Turn>,
    /// The write holding this edit when its leader went away, if one did.
    in_doubt: Option<Arc<Attempt>>,
}

/// A write in flight: the document it replaces and the bytes it writes.
#[derive(Debug)]
struct Attempt {
    base: Version,
    body: Bytes,
}

/// What the leader tells an edit.
enum Turn {
    /// Apply yourself to the shared document and answer whether you held.
    Apply {
        doc: Arc<Mutex<Drama>>,
        held: oneshot::Sender<bool>,
    },
    /// Your edit is stored at this version, or failed.
    Done(Result<Version>),
    /// Lead the next batch.
    Lead,
}

type Lead<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl GroupCommit {
    fn queues(&self) -> MutexGuard<'_, HashMap<String, Vec<Member>>> {
        // A panic never happens while the map is held; recover from poison anyway.
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an edit; true when it takes the leadership at once.
    fn join(&self, key: &Key, member: Member) -> bool {
        let mut queues = self.queues();
        match queues.get_mut(key.path()) {
            Some(waiting) => {
                waiting.push(member);
                false
            }
            None => {
                queues.insert(key.path().to_string(), vec![member]);
                true
            }
        }
    }

    /// Takes every waiting edit of `key` as the next batch.
    fn take_batch(&self, key: &Key) -> Batch<'_> {
        let pending = self
            .queues()
            .get_mut(key.path())
            .map(std::mem::take)
            .unwrap_or_default();
        Batch {
            gc: self,
            key: key.clone(),
            pending: pending.into(),
            current: None,
            applied: Vec::new(),
            writing: None,
        }
    }

    /// Gives up the leadership of `key`: puts `unfinished` back at the head
    /// of the queue and passes the leadership to the first waiting edit
    /// still alive, or frees the key when none is.
    fn hand_off(&self, key: &Key, unfinished: Vec<Member>) {
        let mut queues = self.queues();
        let Some(waiting) = queues.get_mut(key.path()) else {
            return;
        };
        if !unfinished.is_empty() {
            let later = std::mem::replace(waiting, unfinished);
            waiting.extend(later);
        }
        while let Some(first) = waiting.first() {
            if first.turns.send(Turn::Lead).is_ok() {
                return;
            }
            waiting.remove(0);
        }
        queues.remove(key.path());
    }

    /// Runs one edit through the batches of `key` and returns its result.
    pub(crate) async fn edit<S, T, F>(
        &self,
        storage: &S,
        key: &Key,
        expected: Option<&Version>,
        mut f: F,
    ) -> Result<Versioned<T>>
    where
        S: Storage + ?Sized,
        T: Send,
        F: FnMut(&mut Drama) -> Result<T> + Send,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let member = Member {
            expected: expected.cloned(),
            turns: tx,
            in_doubt: None,
        };
        let mut seat = Seat {
            gc: self,
            key: key.clone(),
            turns: rx,
        };
        let mut leading: Option<Lead<'_>> = None;
        if self.join(key, member) {
            leading = Some(Box::pin(self.take_batch(key).run(storage)));
        }
        let mut out: Option<T> = None;
        loop {
            let turn = match leading.as_mut() {
                Some(lead) => tokio::select! {
                    biased;
                    turn = seat.turns.recv() => turn,
                    () = lead => {
                        leading = None;
                        continue;
                    }
                },
                None => seat.turns.recv().await,
            };
            match turn {
                Some(Turn::Apply { doc, held }) => {
                    let applied = {
                        let mut drama = doc.lock().unwrap_or_else(|p| p.into_inner());
                        apply_one(&mut f, key, &mut drama)
                    };
                    let ok = applied.is_ok();
                    let _ = held.send(ok);
                    match applied {
                        Ok(value) => out = Some(value),
                        Err(e) => {
                            // Still the leader of the batch: finish it first.
                            if let Some(lead) = leading.take() {
                                lead.await;
                            }
                            return Err(e);
                        }
                    }
                }
                Some(Turn::Done(result)) => {
                    if let Some(lead) = leading.take() {
                        lead.await;
                    }
                    let version = result?;
                    let value = out.take().ok_or_else(|| lost(key))?;
                    return Ok(Versioned { value, version });
                }
                Some(Turn::Lead) => leading = Some(Box::pin(self.take_batch(key).run(storage))),
                None => return Err(lost(key)),
            }
        }
    }
}

/// The receiving end of one edit. Dropped with an unread leadership in it
/// (the caller went away), it passes the leadership on.
struct Seat<'a> {
    gc: &'a GroupCommit,
    key: Key,
    turns: mpsc::UnboundedReceiver<Turn>,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.turns.close();
        while let Ok(turn) = self.turns.try_recv() {
            if let Turn::Lead = turn {
                self.gc.hand_off(&self.key, Vec::new());
            }
        }
    }
}

/// One batch, owned by its leader. Dropped unfinished (the leader's caller
/// went away), it queues its edits again and passes the leadership on.
struct Batch<'a> {
    gc: &'a GroupCommit,
    key: Key,
    /// Edits still to apply in this attempt.
    pending: VecDeque<Member>,
    /// The edit applying itself right now.
    current: Option<Member>,
    /// Edits applied in this attempt, waiting for the write.
    applied: Vec<Member>,
    /// The write in flight, if any.
    writing: Option<Arc<Attempt>>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let mut unfinished: Vec<Member> = self.current.take().into_iter().collect();
        // The write may have landed: the next batch finds out before applying these again.
        for m in &mut self.applied {
            m.in_doubt = self.writing.clone();
        }
        unfinished.append(&mut self.applied);
        unfinished.extend(self.pending.drain(..));
        self.gc.hand_off(&self.key, unfinished);
    }
}

impl Batch<'_> {
    fn finish_all(&mut self, err: &Error) {
        for m in self.applied.drain(..).chain(self.pending.drain(..)) {
            let _ = m.turns.send(Turn::Done(Err(share(err))));
        }
    }

    /// Answers the edits left in doubt by a dropped leader from what is
    /// stored: done if their write landed, applied again if nothing was
    /// written since, failed (outcome unknown) otherwise.
    fn settle_in_doubt(&mut self, stored: &super::Stored) {
        let mut undecided = VecDeque::with_capacity(self.pending.len());
        for mut m in self.pending.drain(..) {
            let Some(attempt) = m.in_doubt.take() else {
                undecided.push_back(m);
                continue;
            };
            if stored.version == attempt.base {
                undecided.push_back(m); // the write never landed
            } else if stored.body == attempt.body {
                let _ = m.turns.send(Turn::Done(Ok(stored.version.clone())));
            } else {
                let _ = m.turns.send(Turn::Done(Err(Error::Storage {
                    key: self.key.path().to_string(),
                    source: "the write holding this edit was interrupted and the drama changed since; \
                             read it to see whether the edit is stored"
                        .into(),
                })));
            }
        }
        self.pending = undecided;
    }

    /// Reads once, applies every edit, writes once; on a lost
    /// compare-and-swap, reads and applies again.
    async fn run<S: Storage + ?Sized>(mut self, storage: &S) {
        for attempt in 0..MAX_EDIT_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt - 1)).await;
            }
            let stored = match storage.get(&self.key).await {
                Ok(Some(s)) => s,
                Ok(None) => return self.finish_all(&not_found(&self.key)),
                Err(e) => return self.finish_all(&e),
            };
            let drama = match super::cache::parse_drama(storage, &self.key, &stored) {
                Ok(d) => d,
                Err(e) => return self.finish_all(&e),
            };
            self.settle_in_doubt(&stored);
            // Edits with an `If-Match` go first: only the first of them
            // that holds can still see the version it names.
            self.pending.make_contiguous().sort_by_key(|m| m.expected.is_none());
            let doc = Arc::new(Mutex::new(drama));
            while let Some(m) = self.pending.pop_front() {
                if let Some(exp) = &m.expected
                    && (!self.applied.is_empty() || exp != &stored.version)
                {
                    let actual = if self.applied.is_empty() {
                        Some(stored.version.to_string())
                    } else {
                        None
                    };
                    let _ = m.turns.send(Turn::Done(Err(mismatch(&self.key, exp, actual))));
                    continue;
                }
                let (held, answer) = oneshot::channel();
                let apply = Turn::Apply {
                    doc: Arc::clone(&doc),
                    held,
                };
                if m.turns.send(apply).is_err() {
                    continue; // its caller went away
                }
                self.current = Some(m);
                let ok = answer.await.unwrap_or(false);
                if let Some(m) = self.current.take()
                    && ok
                {
                    self.applied.push(m);
                }
                if doc.is_poisoned() {
                    break; // an edit panicked half-way: start again from the store
                }
            }
            if doc.is_poisoned() {
                self.pending.extend(self.applied.drain(..));
                continue;
            }
            if self.applied.is_empty() {
                return;
            }
            let (body, parsed) = {
                let drama = doc.lock().unwrap_or_else(|p| p.into_inner());
                (Bytes::from(drama.to_vec()), drama.clone())
            };
            self.writing = Some(Arc::new(Attempt {
                base: stored.version.clone(),
                body: body.clone(),
            }));
            let written = storage
                .put(&self.key, body, WriteMode::Update(stored.version.clone()))
                .await;
            self.writing = None;
            match written {
                Ok(version) => {
                    // Committed: from here on, even a dropped leader answers every edit.
                    let committed = Committed {
                        members: std::mem::take(&mut self.applied),
                        version,
                    };
                    super::summary::write_summary(storage, &parsed, &committed.version).await;
                    super::cache::remember_drama(storage, &self.key, &committed.version, parsed);
                    return;
                }
                Err(Error::VersionMismatch { .. }) => {
                    // Another process wrote first: every applied edit goes again.
                    let applied: Vec<Member> = self.applied.drain(..).collect();
                    self.pending.extend(applied);
                }
                Err(e) => return self.finish_all(&e),
            }
        }
        let conflict = Error::Conflict {
            kind: EntityKind::Drama,
            id: self.key.id().to_string(),
            attempts: MAX_EDIT_ATTEMPTS,
        };
        self.finish_all(&conflict);
    }
}

/// Edits whose batch is stored: each is told the new version when this
/// is dropped.
struct Committed {
    members: Vec<Member>,
    version: Version,
}

impl Drop for Committed {
    fn drop(&mut self) {
        for m in self.members.drain(..) {
            let _ = m.turns.send(Turn::Done(Ok(self.version.clone())));
        }
    }
}

/// Applies one edit to the batch's document and checks it; on failure the
/// document is restored as it was before the edit.
fn apply_one<T, F>(f: &mut F, key: &Key, drama: &mut Drama) -> Result<T>
where
    F: FnMut(&mut Drama) -> Result<T>,
{
    let before = drama.clone();
    let result = (|| {
        let out = f(drama)?;
        if drama.id != key.id() {
            return Err(Error::invalid("id", "an edit cannot change the drama id"));
        }
        // Only problems this edit adds count.
        let after = validate(drama);
        if !after.is_empty() {
            let added: Problems = after.new_since(&validate(&before));
            if !added.is_empty() {
                return Err(Error::Invalid(added));
            }
        }
        Ok(out)
    })();
    if result.is_err() {
        *drama = before;
    }
    result
}

fn not_found(key: &Key) -> Error {
    Error::NotFound {
        kind: key.kind(),
        id: key.id().to_string(),
    }
}

fn mismatch(key: &Key, expected: &Version, actual: Option<String>) -> Error {
    Error::VersionMismatch {
        kind: key.kind(),
        id: key.id().to_string(),
        expected: expected.to_string(),
        actual,
    }
}

/// An edit whose batch ended without telling it (never expected).
fn lost(key: &Key) -> Error {
    Error::Storage {
        key: key.path().to_string(),
        source: "the edit's batch ended without an answer".into(),
    }
}

/// The same error for every edit of a batch.
fn share(e: &Error) -> Error {
    match e {
        Error::NotFound { kind, id } => Error::NotFound {
            kind: *kind,
            id: id.clone(),
        },
        Error::VersionMismatch {
            kind,
            id,
            expected,
            actual,
        } => Error::VersionMismatch {
            kind: *kind,
            id: id.clone(),
            expected: expected.clone(),
            actual: actual.clone(),
        },
        Error::Conflict { kind, id, attempts } => Error::Conflict {
            kind: *kind,
            id: id.clone(),
            attempts: *attempts,
        },
        Error::Corrupt { key, reason } => Error::Corrupt {
            key: key.clone(),
            reason: reason.clone(),
        },
        Error::Storage { key, source } => Error::Storage {
            key: key.clone(),
            source: source.to_string().into(),
        },
        other => Error::Storage {
            key: String::new(),
            source: other.to_string().into(),
        },
    }
}
