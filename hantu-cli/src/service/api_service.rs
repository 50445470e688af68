//! The HTTP API (`service::api`) as a service: bound from `[api]` and `HANTU_API_KEYS`, serving
//! until the process's shutdown signal, its URL in the service's state.

use std::sync::Arc;

use super::api::ApiServer;
use super::registry::Health;
use super::shutdown::Shutdown;
use super::status::StatusHandle;
use crate::commands::Ctx;

/// Whether the API can start: it needs keys.
pub fn configured(ctx: &Ctx) -> bool {
    ctx.cfg.secrets.contains_key("HANTU_API_KEYS")
}

/// The API service.
///
/// # Errors
/// If the keys are missing or malformed, the address cannot be bound, or serving fails.
pub async fn serve(ctx: &Ctx, shutdown: &Shutdown, status: &StatusHandle) -> anyhow::Result<()> {
    let config = crate::commands::api::api_config(ctx, None, None)?;
    let store: Arc<dyn hantu_core::store::Store> = Arc::new(crate::commands::open_store(ctx)?);
    let jobs = super::api::jobs::job_control(ctx, shutdown)?;
    let probes = super::health::Probes::new(ctx).await?;
    let server = ApiServer::bind(config, store).await?.with_jobs(jobs).with_probes(probes);
    let url = format!("http://{}", server.local_addr()?);
    status.detail("url", serde_json::json!(url));
    status.set_health(Health::Ok);
    status.write();
    tracing::info!(%url, "HTTP API listening");
    server.serve(shutdown.token.clone().cancelled_owned()).await
}
