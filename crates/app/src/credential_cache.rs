//! An in-process cache of miniapp records in front of the app repository, so that
//! authenticating a miniapp (on every miniapp API call) does not read the database each
//! time.
//!
//! Guarantees:
//! - **A rotated or revoked secret stops working everywhere within 1 s.** An entry is served
//!   for at most [`CREDENTIAL_TTL`] (under 1 s) after it was read; a save or insert through
//!   this instance drops its entry at once.
//! - **Never another miniapp's identity.** Entries are keyed by app id, a record is cached
//!   only under its own id, and the secret is still checked against the record's keyed hash
//!   on every call (the cache holds no secret, only what the database holds).
//! - **Bounded.** Unknown ids are never cached (random ids cannot fill memory); at most
//!   [`MAX_ENTRIES`] miniapps are kept, the cache starting afresh beyond that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::Miniapp;
use hostpay_domain::ports::{AppRepository, StoreError};

/// How long a cached record is served: under the 1 s within which a rotated secret must
/// stop working on every instance.
pub const CREDENTIAL_TTL: Duration = Duration::from_millis(900);

/// Most miniapps cached at once.
pub const MAX_ENTRIES: usize = 10_000;

/// The caching decorator (see the module doc).
pub struct CachedApps {
    inner: Arc<dyn AppRepository>,
    ttl: Duration,
    entries: RwLock<HashMap<AppId, (Instant, Miniapp)>>,
    /// Bumped by every local change: a read that started before one is not cached.
    changes: AtomicU64,
}

impl CachedApps {
    /// Caches `inner`'s records for [`CREDENTIAL_TTL`].
    pub fn new(inner: Arc<dyn AppRepository>) -> CachedApps {
        CachedApps::with_ttl(inner, CREDENTIAL_TTL)
    }

    /// Caches for `ttl` (tests use a short one).
    pub fn with_ttl(inner: Arc<dyn AppRepository>, ttl: Duration) -> CachedApps {
        CachedApps {
            inner,
            ttl,
            entries: RwLock::new(HashMap::new()),
            changes: AtomicU64::new(0),
        }
    }

    fn fresh(&self, id: &AppId) -> Option<Miniapp> {
        let entries = self.entries.read().ok()?;
        let (read_at, app) = entries.get(id)?;
        (read_at.elapsed() < self.ttl && app.id == *id).then(|| app.clone())
    }

    fn remember(&self, read_at: Instant, app: &Miniapp) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&app.id) {
                entries.clear();
            }
            entries.insert(app.id.clone(), (read_at, app.clone()));
        }
    }

    fn forget(&self, id: &AppId) {
        self.changes.fetch_add(1, AtomicOrdering::SeqCst);
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(id);
        }
    }
}

#[async_trait]
impl AppRepository for CachedApps {
    async fn insert(&self, app: &Miniapp) -> Result<(), StoreError> {
        self.forget(&app.id);
        self.inner.insert(app).await
    }

    async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError> {
        if let Some(app) = self.fresh(id) {
            return Ok(Some(app));
        }
        // The age counts from before the read, so nothing is served past the TTL of what
        // the database said.
        let read_at = Instant::now();
        let changes = self.changes.load(AtomicOrdering::SeqCst);
        match self.inner.get(id).await? {
            Some(app) if app.id == *id => {
                // A save made here while this read ran may be newer than what it read.
                if self.changes.load(AtomicOrdering::SeqCst) == changes {
                    self.remember(read_at, &app);
                }
                Ok(Some(app))
            }
            // A record under another id is never anyone's answer.
            Some(_) | None => Ok(None),
        }
    }

    async fn list(&self, limit: u32) -> Result<Vec<Miniapp>, StoreError> {
        self.inner.list(limit).await
    }

    async fn save(&self, app: &Miniapp) -> Result<(), StoreError> {
        self.forget(&app.id);
        let saved = self.inner.save(app).await;
        self.forget(&app.id);
        saved
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use chrono::Utc;
    use hostpay_domain::miniapp::SecretKeyring;
    use hostpay_domain::validation::NonEmptyString;

    use super::*;

    #[derive(Default)]
    struct Counting {
        apps: Mutex<HashMap<AppId, Miniapp>>,
        gets: AtomicUsize,
    }

    #[async_trait]
    impl AppRepository for Counting {
        async fn insert(&self, app: &Miniapp) -> Result<(), StoreError> {
            self.apps
                .lock()
                .unwrap()
                .insert(app.id.clone(), app.clone());
            Ok(())
        }
        async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            Ok(self.apps.lock().unwrap().get(id).cloned())
        }
        async fn list(&self, _limit: u32) -> Result<Vec<Miniapp>, StoreError> {
            Ok(self.apps.lock().unwrap().values().cloned().collect())
        }
        async fn save(&self, app: &Miniapp) -> Result<(), StoreError> {
            self.apps
                .lock()
                .unwrap()
                .insert(app.id.clone(), app.clone());
            Ok(())
        }
    }

    fn keyring() -> SecretKeyring {
        SecretKeyring::new("credential-cache-test-key")
    }

    fn app(id: &str, secret: &str) -> Miniapp {
        let now = Utc::now();
        Miniapp {
            id: AppId::parse(id).unwrap(),
            name: NonEmptyString::parse("Shop").unwrap(),
            secret_hash: keyring().hash(secret),
            webhook_url: None,
            secret_generation: 1,
            created_at: now,
            updated_at: now,
        }
    }

    async fn accepts(cache: &CachedApps, id: &str, secret: &str) -> bool {
        cache
            .get(&AppId::parse(id).unwrap())
            .await
            .unwrap()
            .is_some_and(|app| app.accepts_secret(&keyring(), secret))
    }

    #[tokio::test]
    async fn repeated_authentication_reads_the_database_once_per_ttl() {
        let inner = Arc::new(Counting::default());
        inner.insert(&app("app_shop", "sk_one")).await.unwrap();
        let cache = CachedApps::new(inner.clone());
        for _ in 0..100 {
            assert!(accepts(&cache, "app_shop", "sk_one").await);
            assert!(!accepts(&cache, "app_shop", "sk_wrong").await);
        }
        assert_eq!(inner.gets.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_rotation_here_takes_effect_at_once_and_elsewhere_within_the_ttl() {
        let inner = Arc::new(Counting::default());
        let before = app("app_shop", "sk_old");
        inner.insert(&before).await.unwrap();
        let here = CachedApps::with_ttl(inner.clone(), Duration::from_millis(200));
        let elsewhere = CachedApps::with_ttl(inner.clone(), Duration::from_millis(200));
        assert!(accepts(&here, "app_shop", "sk_old").await);
        assert!(accepts(&elsewhere, "app_shop", "sk_old").await);

        here.save(&before.rotated(keyring().hash("sk_new"), Utc::now()))
            .await
            .unwrap();
        assert!(!accepts(&here, "app_shop", "sk_old").await);
        assert!(accepts(&here, "app_shop", "sk_new").await);

        // The other instance learns of it once its entry ages out.
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(!accepts(&elsewhere, "app_shop", "sk_old").await);
        assert!(accepts(&elsewhere, "app_shop", "sk_new").await);
        assert!(CREDENTIAL_TTL < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn never_another_apps_identity_and_unknown_ids_are_not_kept() {
        let inner = Arc::new(Counting::default());
        inner.insert(&app("app_one", "sk_one")).await.unwrap();
        // A record filed under the wrong id (a corrupt row) is nobody's answer.
        inner
            .apps
            .lock()
            .unwrap()
            .insert(AppId::parse("app_two").unwrap(), app("app_one", "sk_one"));
        let cache = CachedApps::new(inner.clone());
        assert!(accepts(&cache, "app_one", "sk_one").await);
        assert!(!accepts(&cache, "app_two", "sk_one").await);
        assert!(cache
            .get(&AppId::parse("app_two").unwrap())
            .await
            .unwrap()
            .is_none());

        for n in 0..50 {
            let id = AppId::parse(&format!("app_missing{n}")).unwrap();
            assert!(cache.get(&id).await.unwrap().is_none());
        }
        assert_eq!(cache.entries.read().unwrap().len(), 1);
    }

    /// An app repository whose reads wait until released, to interleave a save.
    struct Paused {
        inner: Counting,
        release: tokio::sync::Notify,
    }

    #[async_trait]
    impl AppRepository for Paused {
        async fn insert(&self, app: &Miniapp) -> Result<(), StoreError> {
            self.inner.insert(app).await
        }
        async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError> {
            let found = self.inner.get(id).await;
            self.release.notified().await;
            found
        }
        async fn list(&self, limit: u32) -> Result<Vec<Miniapp>, StoreError> {
            self.inner.list(limit).await
        }
        async fn save(&self, app: &Miniapp) -> Result<(), StoreError> {
            self.inner.save(app).await
        }
    }

    #[tokio::test]
    async fn a_read_overtaken_by_a_local_rotation_is_not_cached() {
        let inner = Arc::new(Paused {
            inner: Counting::default(),
            release: tokio::sync::Notify::new(),
        });
        let before = app("app_shop", "sk_old");
        inner.insert(&before).await.unwrap();
        let cache = Arc::new(CachedApps::new(inner.clone()));
        let reading = {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get(&AppId::parse("app_shop").unwrap()).await })
        };
        tokio::task::yield_now().await;
        cache
            .save(&before.rotated(keyring().hash("sk_new"), Utc::now()))
            .await
            .unwrap();
        inner.release.notify_one();
        reading.await.unwrap().unwrap();
        // Later reads must see the rotation at once, not the old record the slow read saw.
        let check = tokio::spawn({
            let cache = cache.clone();
            async move {
                (
                    accepts(&cache, "app_shop", "sk_new").await,
                    accepts(&cache, "app_shop", "sk_old").await,
                )
            }
        });
        for _ in 0..4 {
            tokio::task::yield_now().await;
            inner.release.notify_one();
        }
        assert_eq!(check.await.unwrap(), (true, false));
    }
}
