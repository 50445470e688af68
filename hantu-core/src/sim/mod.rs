//! The simulated KRX market (placeholder).
