//! Which ready nodes start, and which files stay in memory.
//!
//! A node becomes ready as soon as its inputs are saved; it starts when its
//! kind has a free call (lowest level first). A file made in this run goes
//! straight to the dependants that start at once; a file several
//! dependants share (a portrait) is also kept for the later ones, up to a
//! byte budget. Anything else is read back from storage when needed. So
//! memory is bounded by the calls in flight plus the budget, however large
//! the drama.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::model::AssetKind;

/// The most bytes of shared files kept for their later dependants.
pub(crate) const HELD_BYTES: usize = 32 << 20;

/// Ready nodes per kind, and the calls each kind may still make.
pub(crate) struct Ready<'a> {
    queues: [VecDeque<&'a str>; 3],
    limits: [Arc<Semaphore>; 3],
}

impl<'a> Ready<'a> {
    /// `concurrency(kind)` calls of each kind at once.
    pub(crate) fn new(concurrency: impl Fn(AssetKind) -> usize) -> Self {
        Ready {
            queues: Default::default(),
            limits: AssetKind::ALL.map(|k| Arc::new(Semaphore::new(concurrency(k).max(1)))),
        }
    }

    /// Queues a node whose inputs are all saved.
    pub(crate) fn push(&mut self, kind: AssetKind, id: &'a str) {
        self.queues[kind.index()].push_back(id);
    }

    /// A queued node that may start now, with the call it holds until it ends.
    pub(crate) fn next(&mut self) -> Option<(&'a str, OwnedSemaphorePermit)> {
        for (queue, limit) in self.queues.iter_mut().zip(&self.limits) {
            if queue.is_empty() {
                continue;
            }
            if let Ok(permit) = Arc::clone(limit).try_acquire_owned()
                && let Some(id) = queue.pop_front()
            {
                return Some((id, permit));
            }
        }
        None
    }
}

/// Files made in this run, each kept until its last dependant took it.
pub(crate) struct Held {
    /// The file, the dependants yet to take it, and whether it is shared.
    files: HashMap<String, (Bytes, usize, bool)>,
    bytes: usize,
    budget: usize,
}

impl Held {
    pub(crate) fn new(budget: usize) -> Self {
        Held {
            files: HashMap::new(),
            bytes: 0,
            budget,
        }
    }

    /// Keeps `bytes` of `id` for `takers` dependants, if the budget allows.
    pub(crate) fn keep(&mut self, id: &str, bytes: Bytes, takers: usize) {
        if takers > 0 && self.bytes + bytes.len() <= self.budget {
            self.bytes += bytes.len();
            self.files.insert(id.to_string(), (bytes, takers, takers > 1));
        }
    }

    /// One dependant's share (`None`: read it from storage); the last one takes the file out.
    pub(crate) fn take(&mut self, id: &str) -> Option<Bytes> {
        let (bytes, left, _) = self.files.get_mut(id)?;
        *left -= 1;
        let out = bytes.clone();
        if *left == 0 {
            self.drop_file(id);
        }
        Some(out)
    }

    /// Lets go of the files only one dependant needs and it did not start
    /// at once: it will read the file back when it starts.
    pub(crate) fn release_unshared(&mut self) {
        let single: Vec<String> = self
            .files
            .iter()
            .filter(|(_, f)| !f.2)
            .map(|(id, _)| id.clone())
            .collect();
        for id in single {
            self.drop_file(&id);
        }
    }

    fn drop_file(&mut self, id: &str) {
        if let Some((bytes, _, _)) = self.files.remove(id) {
            self.bytes -= bytes.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_start_within_their_limits() {
        let mut r = Ready::new(|k| if k == AssetKind::Video { 1 } else { 2 });
        for id in ["i1", "i2", "i3"] {
            r.push(AssetKind::Image, id);
        }
        r.push(AssetKind::Video, "v1");
        r.push(AssetKind::Video, "v2");
        let (a, pa) = r.next().unwrap();
        let (b, _pb) = r.next().unwrap();
        let (c, _pc) = r.next().unwrap();
        assert_eq!((a, b, c), ("i1", "i2", "v1"));
        assert!(r.next().is_none(), "limits exceeded");
        drop(pa);
        assert_eq!(r.next().unwrap().0, "i3");
    }

    #[test]
    fn held_files_stay_within_the_budget() {
        let mut h = Held::new(10);
        h.keep("a", Bytes::from_static(b"123456"), 2);
        h.keep("b", Bytes::from_static(b"123456"), 1); // over budget: not kept
        assert!(h.take("b").is_none());
        assert!(h.take("a").is_some() && h.take("a").is_some());
        assert!(h.take("a").is_none());
        h.keep("b", Bytes::from_static(b"123456"), 1);
        h.keep("c", Bytes::from_static(b"12"), 2);
        h.release_unshared();
        assert!(h.take("b").is_none(), "an unshared file was kept");
        assert!(h.take("c").is_some());
    }
}
