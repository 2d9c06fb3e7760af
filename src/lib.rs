#![forbid(unsafe_code)]
//! sovereign: keeps classified data in the regions its jurisdiction permits.
//!
//! The evaluation core ([`evaluate`]) is pure: an object, an inventory snapshot and a
//! compiled policy set in, a decision out. Everything else adapts it.

pub mod admission;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod evaluate;
pub mod files;
pub mod inventory;
pub mod kinds;
pub mod manifest;
pub mod object;
pub mod policy;
pub mod read;
pub mod server;
pub mod state;
