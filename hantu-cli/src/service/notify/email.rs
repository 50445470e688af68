//! The email channel: SMTP with STARTTLS by default (implicit TLS or, for a local relay and tests,
//! no encryption, by configuration), through lettre.

use async_trait::async_trait;
use hantu_core::notify::{Level, Rendered};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{EmailSection, SmtpTls};
use super::transport::{SendError, Transport};
use crate::config::Secret;

/// Sends notifications as email.
pub struct Email {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email").field("from", &self.from).field("to", &self.to).finish_non_exhaustive()
    }
}

impl Email {
    /// A channel from `[notify.email]` and the SMTP password, if any.
    ///
    /// # Errors
    /// If an address does not parse or the TLS setup fails.
    pub fn new(cfg: &EmailSection, password: Option<&Secret>) -> Result<Self, String> {
        let builder = match cfg.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.smtp_host)
                .map_err(|e| format!("notify.email: {e}"))?,
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.smtp_host).map_err(|e| format!("notify.email: {e}"))?
            }
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.smtp_host),
        };
        let mut builder = builder.port(cfg.smtp_port).timeout(Some(std::time::Duration::from_secs(30)));
        if let Some(user) = &cfg.username {
            let pass = password.map(|p| p.expose().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), pass));
        }
        let from = cfg.from.parse().map_err(|e| format!("notify.email.from: {e}"))?;
        let to = cfg
            .to
            .iter()
            .map(|t| t.parse().map_err(|e| format!("notify.email.to {t:?}: {e}")))
            .collect::<Result<Vec<Mailbox>, _>>()?;
        Ok(Self { mailer: builder.build(), from, to })
    }
}

#[async_trait]
impl Transport for Email {
    fn name(&self) -> &str {
        "email"
    }

    /// Connects (STARTTLS and login as configured), says EHLO and NOOP; sends no mail.
    async fn probe(&self) -> Result<String, String> {
        match self.mailer.test_connection().await {
            Ok(true) => Ok("SMTP server answers (EHLO, NOOP)".into()),
            Ok(false) => Err("SMTP server did not answer NOOP".into()),
            Err(e) => Err(format!("SMTP: {e}")),
        }
    }

    async fn send(&self, level: Level, r: &Rendered, sent: &mut usize) -> Result<(), SendError> {
        let tag = match level {
            Level::Info => "",
            Level::Warning => "[!] ",
            Level::Critical => "[!!!] ",
        };
        let mut msg = Message::builder().from(self.from.clone()).subject(format!("[hantu] {tag}{}", r.title));
        for to in &self.to {
            msg = msg.to(to.clone());
        }
        let msg = msg
            .header(ContentType::TEXT_PLAIN)
            .body(format!("{}\n\n{}\n", r.title, r.body))
            .map_err(|e| SendError::Permanent(format!("building the email: {e}")))?;
        match self.mailer.send(msg).await {
            Ok(_) => {
                *sent = 1;
                Ok(())
            }
            // A 5xx reply (bad recipient, refused login) will not change; anything else (4xx,
            // connection, TLS, timeout) may.
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::retry(format!("SMTP: {e}"))),
        }
    }
}
