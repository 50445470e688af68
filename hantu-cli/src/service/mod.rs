//! Long-running services of the `hantu` process and the networks they talk to.
//!
//! | module | holds |
//! |---|---|
//! | [`api`] | the HTTP API with its metrics and dashboard |
//! | [`notify`] | notification transports (Telegram, Slack, SMTP, console), the delivery queue, the Telegram control bot |

pub mod api;
pub mod notify;
