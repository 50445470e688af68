//! Store tests: the shared contract (memory and SQLite), SQLite reliability, CSV import/export.
#![cfg(feature = "sqlite")]

#[path = "store/contract.rs"]
mod contract;
#[path = "store/import.rs"]
mod import;
#[path = "store/reliability.rs"]
mod reliability;
