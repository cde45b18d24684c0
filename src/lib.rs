//! awsdo as a library: the modules behind the `awsdo` binary.
//!
//! The binary (`main.rs`) is the product; the library exists so that fuzz targets and
//! benchmarks can reach the parsers and the cache directly. Nothing here is a stable API.

pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod console;
pub mod coredump;
pub mod credential_process;
pub mod creds;
pub mod deadline;
pub mod env;
pub mod error;
pub mod escape;
pub mod files;
pub mod helper;
pub mod hook_state;
pub mod log;
pub mod mfa;
pub mod net;
pub mod plan;
pub mod resolve;
pub mod server;
pub mod shell;
pub mod sso;
