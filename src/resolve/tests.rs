//! The resolver's own rules, without a network: the region of its calls, the keys of a static
//! step taken from the plan, and the one MFA-device rule.

use std::path::Path;

use super::entry::key_digest;
use super::*;
use crate::helper::Helpers;
use crate::plan::{MfaFields, MfaFrom, Overrides, plan_with_env};

const KEYS: &str = "[k]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

fn resolver<'a>(env: &'a Env, cache: Option<Cache>) -> Resolver<'a> {
    Resolver {
        cache,
        net: Net::new(crate::net::Endpoints::default(), None),
        codes: CodeSource {
            flag: None,
            may_prompt: false,
            helpers: Helpers::default(),
        },
        min_ttl: DEFAULT_MIN_TTL,
        env,
        force: false,
        deadline: Deadline::NONE,
    }
}

fn plan_of(config: &str, name: &str) -> Plan {
    let set =
        crate::config::ProfileSet::parse(config, Path::new("c"), KEYS, Path::new("k")).unwrap();
    plan_with_env(&set, name, &Overrides::default(), &Env::default()).unwrap()
}

#[test]
fn the_region_is_the_plans_else_the_environments_else_the_global_endpoint() {
    let named = plan_of("[profile k]\nregion = eu-west-1\n", "k");
    let unnamed = plan_of("", "k");
    let env = Env::from_pairs([("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "us-east-2")]);
    assert_eq!(resolver(&env, None).region(&named), "eu-west-1");
    // An empty AWS_REGION counts as unset, as the AWS CLI reads it.
    assert_eq!(resolver(&env, None).region(&unnamed), "us-east-2");
    let env = Env::from_pairs([("AWS_REGION", "ap-south-1"), ("AWS_DEFAULT_REGION", "x")]);
    assert_eq!(resolver(&env, None).region(&unnamed), "ap-south-1");
    assert_eq!(
        resolver(&Env::default(), None).region(&unnamed),
        GLOBAL_REGION
    );
}

#[test]
fn a_static_step_resolves_from_the_keys_the_plan_carries() {
    // Keys that carry a session token are used as they are: one static step, no call.
    let creds = "[t]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\n\
                 aws_secret_access_key = fake-secret\naws_session_token = fake-token\n";
    let set = crate::config::ProfileSet::parse("", Path::new("c"), creds, Path::new("k")).unwrap();
    let plan = plan_with_env(&set, "t", &Overrides::default(), &Env::default()).unwrap();
    drop(set);
    let env = Env::default();
    let got = resolver(&env, None).resolve(&plan).unwrap().credentials;
    assert_eq!(got.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(got.secret_access_key, "fake-secret");
    assert_eq!(got.session_token.as_deref(), Some("fake-token"));
}

#[test]
fn the_device_is_the_plans_else_a_cached_discoverys() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path().join("cache"));
    let env = Env::default();
    let r = resolver(&env, Some(cache.clone()));
    let id = "AKIAIOSFODNN7EXAMPLE";
    let configured = MfaFields {
        mfa_serial: Some("arn:aws:iam::1:mfa/own".into()),
        mfa_serial_from: MfaFrom::Config,
        mfa_serial_profile: None,
        mfa_process: None,
        mfa_process_from: None,
    };
    let discovered = MfaFields {
        mfa_serial: None,
        mfa_serial_from: MfaFrom::Discovered,
        ..configured.clone()
    };
    assert!(matches!(r.known_device(&configured, id), Device::Use(s) if s.ends_with("/own")));
    assert!(matches!(
        r.known_device(&discovered, id),
        Device::Undecided(None)
    ));
    let found = |devices: &[&str], chosen: Option<&str>| DiscoveryEntry {
        version: 1,
        access_key_id: id.to_owned(),
        user_arn: None,
        devices: devices.iter().map(|d| (*d).to_owned()).collect(),
        chosen: chosen.map(str::to_owned),
    };
    let write = |d: DiscoveryEntry| {
        cache
            .write(Kind::Discovery, &key_digest(id, ""), &d)
            .unwrap()
    };
    write(found(&[], None));
    assert!(matches!(r.known_device(&discovered, id), Device::NoMfa));
    write(found(&["a", "b"], None));
    assert!(matches!(
        r.known_device(&discovered, id),
        Device::Undecided(Some(_))
    ));
    write(found(&["a", "b"], Some("b")));
    assert!(matches!(r.known_device(&discovered, id), Device::Use(s) if s == "b"));
    // Another key's discovery is not this key's.
    assert!(matches!(
        r.known_device(&discovered, "AKIAOTHERKEYEXAMPLE"),
        Device::Undecided(None)
    ));
}
