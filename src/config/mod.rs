//! The AWS shared config and credentials files: where they are, how they parse, how they merge.
//!
//! OWNED BY the config helper: see the brief. Interface (used by the rest of the crate):
//!
//! - `Locations::from_env(get_env, Platform::current())` -> config/credentials paths
//! - `ProfileSet::load(&Locations)` -> parsed, merged profiles (missing files are empty)
//! - `ProfileSet::parse(config_text, config_path, credentials_text, credentials_path)`
//! - `ProfileSet::profile(name) -> Option<&Profile>`, `ProfileSet::profile_names()`,
//!   `ProfileSet::sso_session(name) -> Option<&Section>`
//! - `Profile::get(key) -> Option<&str>` (plain property value)
