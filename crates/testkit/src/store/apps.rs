//! Registered miniapps.

use async_trait::async_trait;
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::Miniapp;
use hostpay_domain::ports::{AppRepository, StoreError};

use super::{limit, MemoryStore};

#[async_trait]
impl AppRepository for MemoryStore {
    async fn insert(&self, app: &Miniapp) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.apps.contains_key(&app.id) {
            return Err(StoreError::Duplicate("id".to_owned()));
        }
        state.apps.insert(app.id.clone(), app.clone());
        Ok(())
    }

    async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError> {
        Ok(self.state()?.apps.get(id).cloned())
    }

    async fn list(&self, max: u32) -> Result<Vec<Miniapp>, StoreError> {
        let state = self.state()?;
        let mut apps: Vec<&Miniapp> = state.apps.values().collect();
        apps.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(apps.into_iter().take(limit(max)).cloned().collect())
    }

    async fn save(&self, app: &Miniapp) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let stored = state.apps.get_mut(&app.id).ok_or(StoreError::Conflict)?;
        if stored.secret_generation != app.secret_generation - 1 {
            return Err(StoreError::Conflict);
        }
        *stored = app.clone();
        Ok(())
    }
}
