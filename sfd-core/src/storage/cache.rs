//! [`DramaCache`]: drama documents kept in memory, bytes and parsed,
//! keyed by id and version, bounded in bytes.
//!
//! Validated (the default): every read asks the store whether the cached
//! version is still current (a conditional GET that answers 304 without a
//! body), so a write by another process is seen at once. With a TTL, a
//! version checked less than that long ago is served without asking.
//! Writes through this process always update the cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::flights::{Answer, Flights};
use super::{Key, Storage, Stored, Version};
use crate::model::{Drama, DramaSummary};
use crate::{Error, Result};

/// The default bound of the cache, in bytes (64 MiB).
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// What a parsed document costs in memory, per byte of its JSON (a rough,
/// deliberately generous estimate: strings, vectors and maps).
const PARSED_FACTOR: usize = 2;
/// What one entry costs besides its bytes.
const ENTRY_OVERHEAD: usize = 256;

/// An in-memory cache of drama documents (see the module docs).
#[derive(Debug)]
pub struct DramaCache {
    max_bytes: usize,
    ttl: Option<Duration>,
    inner: Mutex<Lru>,
    flights: Flights,
    summaries: Mutex<SummaryMemo>,
}

/// Listing summaries by drama id and the drama version they were made
/// from: a listing that names that version (S3 and memory list entity tags)
/// needs no read of the summary object.
#[derive(Debug, Default)]
struct SummaryMemo {
    by_id: HashMap<String, (Version, DramaSummary)>,
    used: usize,
}

#[derive(Debug, Default)]
struct Lru {
    entries: HashMap<String, Entry>,
    /// Least recently used first.
    order: BTreeMap<u64, String>,
    used: usize,
    tick: u64,
}

#[derive(Debug)]
struct Entry {
    stored: Stored,
    parsed: Option<Arc<Drama>>,
    checked: Instant,
    tick: u64,
}

impl Entry {
    fn cost(&self) -> usize {
        let body = self.stored.body.len();
        let parsed = if self.parsed.is_some() { body * PARSED_FACTOR } else { 0 };
        ENTRY_OVERHEAD + body + parsed
    }
}

impl Lru {
    fn touch(&mut self, path: &str) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(e) = self.entries.get_mut(path) {
            self.order.remove(&e.tick);
            e.tick = tick;
            self.order.insert(tick, path.to_string());
        }
    }

    fn remove(&mut self, path: &str) -> Option<Entry> {
        let e = self.entries.remove(path)?;
        self.order.remove(&e.tick);
        self.used -= e.cost();
        Some(e)
    }

    fn insert(&mut self, path: &str, mut e: Entry, max: usize) {
        self.remove(path);
        if e.cost() > max {
            return;
        }
        self.tick += 1;
        e.tick = self.tick;
        self.used += e.cost();
        self.order.insert(e.tick, path.to_string());
        self.entries.insert(path.to_string(), e);
        while self.used > max {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(old) = self.entries.remove(&oldest) {
                self.used -= old.cost();
            }
        }
    }
}

impl DramaCache {
    /// A cache of at most `max_bytes`; with `ttl`, a version checked less
    /// than `ttl` ago is served without asking the store.
    pub fn new(max_bytes: usize, ttl: Option<Duration>) -> Self {
        DramaCache {
            max_bytes,
            ttl: ttl.filter(|t| !t.is_zero()),
            inner: Mutex::new(Lru::default()),
            flights: Flights::default(),
            summaries: Mutex::default(),
        }
    }

    fn lru(&self) -> MutexGuard<'_, Lru> {
        // Nothing panics while the map is held; recover from poison anyway.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `key` is cached at all (dramas only).
    pub(crate) fn covers(key: &Key) -> bool {
        key.path().starts_with(super::key::DRAMAS)
    }

    /// How many bytes the cache holds by its own estimate.
    pub fn used_bytes(&self) -> usize {
        self.lru().used
    }

    /// The cached document when its TTL says it needs no check.
    pub(crate) fn fresh(&self, key: &Key) -> Option<Stored> {
        let ttl = self.ttl?;
        let mut lru = self.lru();
        let e = lru.entries.get(key.path())?;
        if e.checked.elapsed() >= ttl {
            return None;
        }
        let stored = e.stored.clone();
        lru.touch(key.path());
        Some(stored)
    }

    /// The cached version, to ask the store whether it is still current.
    pub(crate) fn version(&self, key: &Key) -> Option<Version> {
        self.lru().entries.get(key.path()).map(|e| e.stored.version.clone())
    }

    /// The store says `version` is still current: the cached document, if
    /// it is still that version.
    pub(crate) fn confirmed(&self, key: &Key, version: &Version) -> Option<Stored> {
        let mut lru = self.lru();
        let e = lru.entries.get_mut(key.path())?;
        if &e.stored.version != version {
            return None;
        }
        e.checked = Instant::now();
        let stored = e.stored.clone();
        lru.touch(key.path());
        Some(stored)
    }

    /// Remembers the document as written to the store. A parsed copy of
    /// the same version is kept.
    pub(crate) fn store(&self, key: &Key, stored: &Stored) {
        self.store_read(key, stored, None);
    }

    /// Remembers the document as read from the store by a read that started
    /// at `started`, unless a write or a later read got in first.
    fn store_read(&self, key: &Key, stored: &Stored, started: Option<Instant>) {
        let mut lru = self.lru();
        if let Some(started) = started
            && lru.entries.get(key.path()).is_some_and(|e| e.checked > started)
        {
            return;
        }
        let parsed = lru
            .entries
            .get(key.path())
            .filter(|e| e.stored.version == stored.version)
            .and_then(|e| e.parsed.clone());
        let entry = Entry {
            stored: stored.clone(),
            parsed,
            checked: Instant::now(),
            tick: 0,
        };
        lru.insert(key.path(), entry, self.max_bytes);
    }

    /// Forgets `key` (deleted, or its state is unknown after a failed write).
    fn memo(&self) -> MutexGuard<'_, SummaryMemo> {
        self.summaries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The summary of drama `id` made from `version`, if one was read.
    pub(crate) fn summary(&self, id: &str, version: &Version) -> Option<DramaSummary> {
        let memo = self.memo();
        let (v, s) = memo.by_id.get(id)?;
        (v == version).then(|| s.clone())
    }

    /// Keeps the summary of drama `id` made from `version`. The memo takes
    /// at most a quarter of the cache's bound and starts again when full.
    pub(crate) fn store_summary(&self, id: &str, version: &Version, summary: &DramaSummary) {
        let cost_of = |s: &DramaSummary| ENTRY_OVERHEAD + serde_json::to_vec(s).map_or(0, |b| b.len());
        let cost = cost_of(summary);
        let mut memo = self.memo();
        // An update replaces the entry's cost, not only an insert adds one.
        if let Some((_, old)) = memo.by_id.remove(id) {
            memo.used = memo.used.saturating_sub(cost_of(&old));
        }
        if memo.used + cost > self.max_bytes / 4 {
            memo.by_id.clear();
            memo.used = 0;
        }
        if cost <= self.max_bytes / 4 {
            memo.by_id.insert(id.to_string(), (version.clone(), summary.clone()));
            memo.used += cost;
        }
    }

    /// The bytes the summary memo holds by its own estimate.
    #[cfg(test)]
    fn memo_bytes(&self) -> usize {
        self.memo().used
    }

    pub(crate) fn forget(&self, key: &Key) {
        self.lru().remove(key.path());
    }

    /// The parsed document of `key` at `version`, when cached.
    pub(crate) fn parsed(&self, key: &Key, version: &Version) -> Option<Arc<Drama>> {
        let lru = self.lru();
        let e = lru.entries.get(key.path())?;
        (&e.stored.version == version).then(|| e.parsed.clone()).flatten()
    }

    /// Keeps the parsed document of `key` at `version`, if those bytes are cached.
    pub(crate) fn set_parsed(&self, key: &Key, version: &Version, drama: Arc<Drama>) {
        let mut lru = self.lru();
        let Some(e) = lru.entries.get(key.path()) else {
            return;
        };
        if &e.stored.version != version || e.parsed.is_some() {
            return;
        }
        let Some(mut e) = lru.remove(key.path()) else {
            return;
        };
        e.parsed = Some(drama);
        lru.insert(key.path(), e, self.max_bytes);
    }
}

/// What a read of the store found.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// The document.
    Found(Stored),
    /// Nothing (or a tombstone).
    Missing,
    /// The version the read named is still current.
    Unchanged,
}

/// Reads `key` through the cache: served unchecked within the TTL,
/// otherwise `fetch` asks the store, naming the cached version.
pub(crate) async fn read_through<F, Fut>(cache: &DramaCache, key: &Key, fetch: F) -> Result<Option<Stored>>
where
    F: Fn(Option<Version>) -> Fut,
    Fut: std::future::Future<Output = Result<Fetched>>,
{
    if let Some(hit) = cache.fresh(key) {
        crate::telemetry::cache_read("hit");
        return Ok(Some(hit));
    }
    // Overlapping reads of the key share one check that started after
    // each of them arrived.
    let (found, answer) = cache
        .flights
        .read(key.path(), || async {
            let started = Instant::now();
            let known = cache.version(key);
            let fetched = match fetch(known.clone()).await? {
                Fetched::Unchanged => match known.and_then(|v| cache.confirmed(key, &v)) {
                    Some(hit) => {
                        crate::telemetry::cache_read("revalidated");
                        return Ok(Some(hit));
                    }
                    // Evicted or replaced meanwhile: read it whole.
                    None => fetch(None).await?,
                },
                other => other,
            };
            crate::telemetry::cache_read("miss");
            match fetched {
                Fetched::Found(stored) => {
                    cache.store_read(key, &stored, Some(started));
                    Ok(Some(stored))
                }
                Fetched::Missing | Fetched::Unchanged => {
                    cache.forget(key);
                    Ok(None)
                }
            }
        })
        .await?;
    if answer == Answer::Shared {
        crate::telemetry::cache_read("shared");
    }
    Ok(found)
}

/// Parses a stored drama, or takes the parsed copy of that version from
/// the storage's cache.
pub(crate) fn parse_drama<S: Storage + ?Sized>(storage: &S, key: &Key, stored: &Stored) -> Result<Drama> {
    let cache = storage.capabilities().drama_cache;
    if let Some(hit) = cache.and_then(|c| c.parsed(key, &stored.version)) {
        return Ok(Drama::clone(&hit));
    }
    let drama = Drama::from_slice(&stored.body).map_err(|e| Error::Corrupt {
        key: key.path().to_string(),
        reason: e.to_string(),
    })?;
    if let Some(c) = cache {
        c.set_parsed(key, &stored.version, Arc::new(drama.clone()));
    }
    Ok(drama)
}

/// Keeps a drama just written at `version` parsed in the storage's cache.
pub(crate) fn remember_drama<S: Storage + ?Sized>(storage: &S, key: &Key, version: &Version, drama: Drama) {
    if let Some(c) = storage.capabilities().drama_cache {
        c.set_parsed(key, version, Arc::new(drama));
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn stored(v: &str, len: usize) -> Stored {
        Stored {
            body: Bytes::from(vec![b'x'; len]),
            version: Version::new(v),
            updated_at: 0,
        }
    }

    #[test]
    fn the_least_recently_used_goes_first_and_the_bound_holds() {
        let cache = DramaCache::new(3 * (ENTRY_OVERHEAD + 100), None);
        let keys: Vec<Key> = (0..4).map(|i| Key::drama(&format!("d{i}")).unwrap()).collect();
        for k in &keys[..3] {
            cache.store(k, &stored("v1", 100));
        }
        assert!(cache.confirmed(&keys[0], &Version::new("v1")).is_some()); // d0 is now the newest
        cache.store(&keys[3], &stored("v1", 100));
        assert!(cache.version(&keys[1]).is_none(), "d1 was the least recently used");
        assert!(cache.version(&keys[0]).is_some());
        assert!(cache.used_bytes() <= 3 * (ENTRY_OVERHEAD + 100));
        // Something larger than the whole cache is never kept.
        cache.store(&keys[2], &stored("v2", 10_000));
        assert!(cache.version(&keys[2]).is_none());
    }

    #[test]
    fn the_summary_memo_counts_an_update_at_its_new_cost() {
        let cache = DramaCache::new(1 << 20, None);
        let summary = |title: &str| DramaSummary {
            id: "d".into(),
            title: title.into(),
            description: String::new(),
            premise: String::new(),
            url: None,
            metadata: None,
            updated_at: None,
            error: None,
        };
        cache.store_summary("d", &Version::new("v1"), &summary("t"));
        let small = cache.memo_bytes();
        let long = summary(&"x".repeat(5000));
        cache.store_summary("d", &Version::new("v2"), &long);
        assert!(cache.memo_bytes() >= small + 4999, "an update was not counted");
        cache.store_summary("d", &Version::new("v3"), &summary("t"));
        assert_eq!(cache.memo_bytes(), small, "a replaced entry still counts");
        assert!(cache.summary("d", &Version::new("v3")).is_some());
    }

    #[test]
    fn a_parsed_copy_belongs_to_one_version() {
        let cache = DramaCache::new(1 << 20, None);
        let key = Key::drama("d").unwrap();
        cache.store(&key, &stored("v1", 10));
        let d = Arc::new(Drama::new("d", "t", "d", "p"));
        cache.set_parsed(&key, &Version::new("v1"), Arc::clone(&d));
        assert!(cache.parsed(&key, &Version::new("v1")).is_some());
        assert!(cache.parsed(&key, &Version::new("v2")).is_none());
        cache.store(&key, &stored("v2", 10));
        assert!(cache.parsed(&key, &Version::new("v2")).is_none());
        assert!(cache.confirmed(&key, &Version::new("v1")).is_none());
    }

    #[test]
    fn without_a_ttl_nothing_is_served_unchecked() {
        let cache = DramaCache::new(1 << 20, None);
        let key = Key::drama("d").unwrap();
        cache.store(&key, &stored("v1", 10));
        assert!(cache.fresh(&key).is_none());
        let ttl = DramaCache::new(1 << 20, Some(Duration::from_secs(3600)));
        ttl.store(&key, &stored("v1", 10));
        assert_eq!(ttl.fresh(&key).map(|s| s.version), Some(Version::new("v1")));
    }
}
