//! Authentication: credentials, the access token (issue, memory and file cache, refresh,
//! re-issue), the WebSocket approval key, the order hashkey and token revocation (§2).

mod approval;
mod cache;
mod credential;
mod token;

pub use approval::{APPROVAL_REUSE_MS, ApprovalKey, ApprovalKeys, approval_cache_path, issue_approval_key};
pub use cache::{TokenCacheFile, default_cache_path};
pub use credential::{
    AccountNo, Credential, ENV_ACCOUNT, ENV_APP_KEY, ENV_APP_SECRET, ENV_ENVIRONMENT, Secret, env_var_names,
    fingerprint,
};
pub(crate) use token::transport;
pub use token::{AccessToken, REFRESH_AHEAD, TokenManager, TokenReply};
