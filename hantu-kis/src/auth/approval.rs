//! The WebSocket approval key (`POST /oauth2/Approval`, note the body key `secretkey`).

use serde_json::{Value, json};

use super::credential::{Credential, Secret};
use super::token::{oauth_error, transport};
use crate::error::{KisError, Result};
use crate::parse::{Obj, ParseError};

/// A WebSocket approval key. Prints redacted.
#[derive(Clone, Debug)]
pub struct ApprovalKey(pub Secret);

impl ApprovalKey {
    /// Parses an approval reply body.
    ///
    /// # Errors
    /// [`ParseError`] if `approval_key` is missing or empty.
    pub fn parse(body: &Value) -> Result<Self, ParseError> {
        let key = Obj::root(body)?.str("approval_key")?;
        if key.is_empty() {
            return Err(ParseError { field: "approval_key".into(), value: String::new(), reason: "empty key" });
        }
        Ok(Self(Secret::new(key)))
    }
}

/// Requests a WebSocket approval key from the REST host at `base_url`.
///
/// # Errors
/// Transport errors, a refusal, or a malformed reply.
pub async fn issue_approval_key(
    http: &reqwest::Client,
    base_url: &str,
    credential: &Credential,
) -> Result<ApprovalKey> {
    let body = json!({
        "grant_type": "client_credentials",
        "appkey": credential.app_key().expose(),
        "secretkey": credential.app_secret().expose(),
    });
    let resp = http
        .post(format!("{base_url}/oauth2/Approval"))
        .json(&body)
        .send()
        .await
        .map_err(|e| transport("oauth2/Approval", e))?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| transport("oauth2/Approval", e))?;
    if status != 200 {
        return Err(oauth_error(status, &bytes));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| KisError::Parse {
        endpoint: "oauth2/Approval",
        source: ParseError::body(&String::from_utf8_lossy(&bytes), "not JSON"),
    })?;
    ApprovalKey::parse(&v).map_err(|source| KisError::Parse { endpoint: "oauth2/Approval", source })
}
