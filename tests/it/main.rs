//! The integration tests: one binary (`cargo test --test it`), one module per area, and the
//! shared helpers in `util` compiled once. Layout as in ripgrep's `tests/`; see ARCHITECTURE.md,
//! "Tests".
//!
//! Filter by module: `cargo test --test it hook::` runs the prompt-hook tests only.

mod util;

mod cache;
mod cache_hardening;
mod children;
mod commands;
mod completions;
mod crash;
mod ecosystem;
mod export_worker;
mod exports;
mod failures;
mod faults;
mod harness;
mod hook;
mod hook_order;
mod net;
mod nu;
mod output;
mod perf_paths;
mod profiles;
mod real_shells;
mod security;
mod server;
mod skew;
mod sso_login;
mod tls;
mod validation;
