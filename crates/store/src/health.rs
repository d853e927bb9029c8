//! Readiness: the database answers and every embedded migration is applied.

use async_trait::async_trait;
use hostpay_domain::ports::{StoreError, StoreHealth};

use crate::dialect::for_each_backend;

macro_rules! health {
    ($backend:ident, $database:ty, $conn:ty) => {
        #[async_trait]
        impl StoreHealth for $database {
            async fn check(&self) -> Result<(), StoreError> {
                self.check_migrations().await
            }
        }
    };
}

for_each_backend!(health);
