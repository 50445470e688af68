//! Services: the long-running parts of the `hantu` binary and the networks they talk to.
//!
//! | module | holds |
//! |---|---|
//! | [`notify`] | notification transports (Telegram, Slack, SMTP, console), the delivery queue, the Telegram control bot |

pub mod notify;
