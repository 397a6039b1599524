//! The operator's tools behind the command line (ssr-only). The SQL they run lives in the db
//! layer (`db::maintenance`, `db::bulk` and the other db modules).
//!
//! - `backup`: `quire backup` and `quire restore`, each checked before it is kept.
//! - `seed`: `quire seed`, the demo-data generator.

pub mod backup;
pub mod seed;
