//! The service layer (ssr-only): every use case, with its authorisation, validation and
//! transaction. Server functions and REST handlers are thin adapters over these functions.

pub mod article;
pub mod comment;
pub mod profile;
pub mod token;
pub mod user;
