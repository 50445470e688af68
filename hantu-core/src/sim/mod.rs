//! The simulated KRX market (placeholder).

mod broker;

pub use broker::{SimBroker, SimBrokerConfig, SimEvent};
