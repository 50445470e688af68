//! A bare WebSocket test client (tokio-tungstenite) for the local server's real-time side:
//! approval key over REST, subscribe requests, and reads classified with the crate's parsers.

use std::time::Duration;

use chrono::NaiveTime;
use futures_util::{SinkExt, StreamExt};
use hantu_core::domain::Timestamp;
use hantu_kis::auth::{Credential, Secret, issue_approval_key};
use hantu_kis::ws::{Control, ServerMessage, SubscribeRequest};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::{Rig, day};

/// What arrived.
#[derive(Debug)]
pub enum In {
    Control(Control),
    Ping(String),
    Data(String),
    /// Text that does not parse.
    Bad(String),
    /// Closed with a close frame.
    Closed,
    /// Broken without a close frame.
    Broken,
}

pub struct WsTest {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub approval: String,
}

/// An approval key for the rig's app.
pub async fn approval(rig: &Rig) -> String {
    let (key, secret) = rig.server.app();
    let cred = Credential::new(key, secret).unwrap();
    issue_approval_key(&reqwest::Client::new(), &rig.server.base_url(), &cred).await.unwrap().0.expose().to_owned()
}

/// Moves the rig's clock to `h:m:s` on the test day.
pub fn at_hms(rig: &Rig, h: u32, m: u32, s: u32) {
    rig.clock.set(Timestamp::from_kst(day().and_time(NaiveTime::from_hms_opt(h, m, s).unwrap())));
}

impl WsTest {
    pub async fn connect(rig: &Rig) -> Self {
        let approval = approval(rig).await;
        Self::connect_with(rig, approval).await
    }

    pub async fn connect_with(rig: &Rig, approval: String) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("{}/tryitout", rig.server.ws_url())).await.unwrap();
        Self { ws, approval }
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn request(&mut self, tr_id: &str, tr_key: &str, subscribe: bool) {
        let req = SubscribeRequest {
            approval_key: Secret::new(self.approval.clone()),
            custtype: "P".into(),
            subscribe,
            tr_id: tr_id.into(),
            tr_key: tr_key.into(),
        };
        self.send_text(req.to_text()).await;
    }

    /// The next message (panics after 10 s of silence: tests stay bounded).
    pub async fn recv(&mut self) -> In {
        self.recv_within(Duration::from_secs(10)).await.expect("nothing arrived within 10 s")
    }

    /// The next message, or None if nothing arrives within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<In> {
        loop {
            let msg = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return None,
                Ok(m) => m,
            };
            return Some(match msg {
                None | Some(Err(_)) => In::Broken,
                Some(Ok(Message::Close(_))) => In::Closed,
                Some(Ok(Message::Text(t))) => match ServerMessage::parse(t.as_str()) {
                    Ok(ServerMessage::Control(c)) => In::Control(c),
                    Ok(ServerMessage::PingPong { .. }) => In::Ping(t.as_str().to_owned()),
                    Ok(ServerMessage::Data(_)) => In::Data(t.as_str().to_owned()),
                    Err(_) => In::Bad(t.as_str().to_owned()),
                },
                Some(Ok(_)) => continue,
            });
        }
    }

    /// The next control reply, skipping keep-alives and data.
    pub async fn control(&mut self) -> Control {
        loop {
            match self.recv().await {
                In::Control(c) => return c,
                In::Ping(_) | In::Data(_) => {}
                other => panic!("expected a control reply, got {other:?}"),
            }
        }
    }

    /// Subscribes and returns the reply.
    pub async fn subscribe(&mut self, tr_id: &str, tr_key: &str) -> Control {
        self.request(tr_id, tr_key, true).await;
        self.control().await
    }

    /// Data frames until `done` says enough (keep-alives skipped).
    pub async fn data_until(&mut self, mut done: impl FnMut(&[String]) -> bool) -> Vec<String> {
        let mut out = Vec::new();
        while !done(&out) {
            match self.recv().await {
                In::Data(d) => out.push(d),
                In::Ping(_) | In::Control(_) => {}
                other => panic!("expected data, got {other:?}"),
            }
        }
        out
    }

    pub async fn pong_text(&mut self, raw: &str) {
        self.send_text(raw.to_owned()).await;
    }

    pub async fn pong_frame(&mut self, raw: &str) {
        self.ws.send(Message::Pong(raw.as_bytes().to_vec().into())).await.unwrap();
    }
}
