//! The AWS shared config and credentials files: where they are, how they parse, how they merge.
//!
//! This module owns everything between the environment and a profile's properties:
//! `Locations::from_env` finds the two files, `ProfileSet::load` reads them (a missing file is
//! empty) and `ProfileSet::parse` applies the AWS SDKs' shared parsing rules, as pinned down by
//! the conformance cases in `tests/conformance/`. What the properties mean (role chains, SSO,
//! credentials) is `plan`'s business, not this module's, except for `validate`, which refuses
//! what the AWS CLI refuses before anything is planned.

mod location;
mod parse;
mod profiles;
mod validate;

#[cfg(test)]
mod conformance_tests;

pub use location::{Locations, Platform, profile_from_env};
pub use profiles::{Profile, ProfileSet, Section};
pub use validate::validate;
