//! Store tests: the shared contract (memory, SQLite and PostgreSQL), SQLite reliability, CSV
//! import/export, PostgreSQL concurrency and the copy between backends.
#![cfg(feature = "sqlite")]

#[path = "store/contract.rs"]
mod contract;
#[path = "store/import.rs"]
mod import;
#[path = "store/pg.rs"]
mod pg;
#[path = "store/postgres.rs"]
mod postgres_only;
#[path = "store/reliability.rs"]
mod reliability;
#[path = "store/transfer.rs"]
mod transfer;
