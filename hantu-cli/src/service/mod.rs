//! Long-running services of the `hantu` process: the HTTP API with its metrics and dashboard.

pub mod api;
