//! The AWS SDKs' shared conformance cases, run in full against this module.
//!
//! Every case of `profile-parser-tests.json` and `file-location-tests.json` runs; failures are
//! collected and reported together with the case names, and the case counts are checked so a
//! truncated data file cannot pass silently.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{Locations, Platform, ProfileSet, Section, profile_from_env};

const PARSER_CASES: &str = include_str!("../../tests/conformance/profile-parser-tests.json");
const LOCATION_CASES: &str = include_str!("../../tests/conformance/file-location-tests.json");

fn cases(json: &str) -> Vec<Value> {
    let root: Value = serde_json::from_str(json).expect("conformance file is valid JSON");
    root["tests"].as_array().expect("a tests array").clone()
}

/// A set of sections as the cases write them: name -> property -> value.
type Sections = BTreeMap<String, BTreeMap<String, String>>;

fn expected_sections(value: Option<&Value>) -> Sections {
    let Some(value) = value else {
        return Sections::new();
    };
    let object = value.as_object().expect("sections are an object");
    object
        .iter()
        .map(|(name, properties)| {
            let properties = properties
                .as_object()
                .expect("properties are an object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
                .collect();
            (name.clone(), properties)
        })
        .collect()
}

fn actual_sections<'a>(
    names: Vec<&'a str>,
    lookup: impl Fn(&str) -> Option<&'a Section>,
) -> Sections {
    names
        .into_iter()
        .map(|name| {
            let section = lookup(name).expect("a listed name resolves");
            assert_eq!(section.name(), name);
            let properties = section
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (name.to_string(), properties)
        })
        .collect()
}

/// Run one parser case; `Err` describes how it failed.
fn run_parser_case(case: &Value) -> Result<(), String> {
    let input = &case["input"];
    let config = input["configFile"].as_str().unwrap_or("");
    let credentials = input["credentialsFile"].as_str().unwrap_or("");
    let parsed = ProfileSet::parse(
        config,
        Path::new("/home/user/.aws/config"),
        credentials,
        Path::new("/home/user/.aws/credentials"),
    );
    let output = &case["output"];
    if let Some(wanted) = output["errorContaining"].as_str() {
        return match parsed {
            Ok(set) => Err(format!(
                "expected an error containing {wanted:?}, got {set:?}"
            )),
            Err(err) => {
                let message = format!("{err:#}");
                if message.contains(wanted) && !message.contains('\n') {
                    Ok(())
                } else {
                    Err(format!("error {message:?} does not contain {wanted:?}"))
                }
            }
        };
    }
    let set = parsed.map_err(|err| format!("unexpected error: {err:#}"))?;
    let config = &output["config"];
    let checks = [
        (
            "profiles",
            actual_sections(set.profile_names(), |n| set.profile(n)),
        ),
        (
            "sso_sessions",
            actual_sections(set.sso_session_names(), |n| set.sso_session(n)),
        ),
        (
            "services",
            actual_sections(set.services_names(), |n| set.services(n)),
        ),
    ];
    for (field, actual) in checks {
        // A case that does not list a field expects none of it.
        let expected = expected_sections(config.get(field));
        if actual != expected {
            return Err(format!("{field}: expected {expected:?}, got {actual:?}"));
        }
    }
    Ok(())
}

#[test]
fn profile_parser_conformance() {
    run_all(
        PARSER_CASES,
        "profile-parser-tests.json",
        65,
        run_parser_case,
    );
}

/// Run every case of a conformance file, check the file still has `count` of them, and report
/// all failing cases by name at once.
fn run_all(json: &str, file: &str, count: usize, run: fn(&Value) -> Result<(), String>) {
    let cases = cases(json);
    assert_eq!(cases.len(), count, "{file} case count");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case["name"].as_str().expect("a case name");
            run(case).err().map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases in {file} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn run_location_case(case: &Value) -> Result<(), String> {
    let environment = case["environment"].as_object().expect("an environment");
    let get = crate::env::Env::from_pairs(
        environment
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("string variable"))),
    );
    let platform = match case["platform"].as_str() {
        Some("windows") => Platform::Windows,
        Some("linux") => Platform::Linux,
        other => return Err(format!("unknown platform {other:?}")),
    };
    let locations = Locations::from_env(&get, platform).map_err(|e| format!("{e:#}"))?;
    let checks = [
        ("configLocation", locations.config.to_str()),
        ("credentialsLocation", locations.credentials.to_str()),
    ];
    for (field, actual) in checks {
        let expected = case[field].as_str();
        if actual != expected {
            return Err(format!("{field}: expected {expected:?}, got {actual:?}"));
        }
    }
    if let Some(expected) = case["profile"].as_str() {
        let actual = profile_from_env(&get);
        if actual != expected {
            return Err(format!("profile: expected {expected:?}, got {actual:?}"));
        }
    }
    Ok(())
}

#[test]
fn file_location_conformance() {
    run_all(
        LOCATION_CASES,
        "file-location-tests.json",
        9,
        run_location_case,
    );
}
