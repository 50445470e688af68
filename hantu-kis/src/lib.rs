//! # hantu-kis
//!
//! The Korea Investment & Securities (KIS) Open API adapter for hantu (work in progress).
