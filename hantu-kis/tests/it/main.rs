//! Integration tests of hantu-kis: one binary, modules per area. Everything runs over real
//! HTTP against the local KIS server bound to 127.0.0.1.

mod auth;
mod broker;
mod client;
mod common;
mod faults;
mod feed_client;
mod feed_local;
mod feed_script;
mod fidelity;
mod realtime;
mod realtime_faults;
mod refresh;
mod registered_apps;
mod samples;
mod ws_common;
