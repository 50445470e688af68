//! KisBroker (next commit).
