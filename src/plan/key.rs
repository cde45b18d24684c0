//! The cache key: a SHA-256 of the whole plan, derived so that whatever shapes a step shapes
//! the key.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use super::Plan;

impl Plan {
    /// The cache key: a SHA-256 (hex) of the whole plan — profile, flags, region, every step
    /// with all its parameters, the digests of the secrets it starts from and of the endpoint
    /// settings. It is derived (`#[derive(Hash)]` fed into SHA-256), so a field added to a step
    /// is part of the key without anyone remembering to add it. The derived encoding may change
    /// with the compiler: then old entries are misses, never wrong hits.
    pub fn cache_key(&self) -> String {
        let mut h = Sha256Hasher(Sha256::new());
        "awsdo-plan-v2".hash(&mut h);
        self.hash(&mut h);
        hex(&h.0.finalize())
    }
}

/// A `Hasher` that feeds SHA-256, so a derived `Hash` gives a digest that is stable between runs.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Unused: the digest is read from the SHA-256 state.
        0
    }
}

/// Lowercase hex of `bytes` (the `hex` crate: a table lookup per byte, where a `format!` per
/// byte made hex a tenth of `awsdo status` with 1,000 profiles; BENCHMARKS row 9).
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::tests::{NO_ENV, profiles};
    use crate::config::ProfileSet;
    use crate::env::Env;
    use crate::plan::*;

    #[test]
    fn secrets_change_the_key_but_never_show() {
        let with = |secret: &str| {
            let creds = format!(
                "[k]\naws_access_key_id = AKIAFAKE0003\naws_secret_access_key = {secret}\n"
            );
            let set = ProfileSet::parse("", Path::new("c"), &creds, Path::new("k")).unwrap();
            plan_with_env(&set, "k", &Overrides::default(), &NO_ENV).unwrap()
        };
        let a = with("fake-secret-one");
        assert_ne!(a.cache_key(), with("fake-secret-two").cache_key());
        let shown = format!("{a:?}{}", serde_json::to_string(&a).unwrap());
        assert!(!shown.contains("fake-secret-one"), "{shown}");
        // The environment keys a credential_source = Environment role starts from, too.
        let set = profiles(
            "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n",
        );
        let key = |secret: Option<&str>| {
            let mut env = Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKIAFAKEENV")]);
            if let Some(s) = secret {
                env.set("AWS_SECRET_ACCESS_KEY", s);
            }
            plan_with_env(&set, "ci", &Overrides::default(), &env)
                .unwrap()
                .cache_key()
        };
        assert_ne!(key(Some("fake-env-one")), key(Some("fake-env-two")));
        assert_ne!(key(Some("fake-env-one")), key(None));
        assert_eq!(key(Some("fake-env-one")), key(Some("fake-env-one")));
    }

    /// One plan with every step kind, every optional field set.
    fn every_kind() -> Vec<Step> {
        let mfa = || {
            Some(MfaFields {
                mfa_serial: Some("arn:aws:iam::1:mfa/u".into()),
                mfa_serial_from: MfaFrom::Config,
                mfa_serial_profile: Some("p".into()),
                mfa_process: Some("echo 1".into()),
                mfa_process_from: Some("p".into()),
            })
        };
        vec![
            Step::Static {
                profile: "p".into(),
                access_key_id: "AKIA".into(),
                has_session_token: false,
                secret: SecretDigest::of([("s", Some("x"))]),
                keys: StaticKeys::new("x", None),
            },
            Step::SessionToken {
                profile: "p".into(),
                mfa: mfa(),
                duration_seconds: 10,
                duration_seconds_from: Some("p".into()),
                shared: true,
            },
            Step::AssumeRole {
                profile: "p".into(),
                role_arn: "arn".into(),
                role_arn_from: "p".into(),
                role_session_name: Some("n".into()),
                external_id: Some("e".into()),
                duration_seconds: Some(10),
                duration_seconds_from: Some("p".into()),
                mfa: mfa(),
            },
            Step::WebIdentity {
                profile: "p".into(),
                role_arn: "arn".into(),
                role_arn_from: "p".into(),
                web_identity_token_file: "/t".into(),
                role_session_name: Some("n".into()),
                duration_seconds: Some(10),
                duration_seconds_from: Some("p".into()),
            },
            Step::CredentialProcess {
                profile: "p".into(),
                command: "c".into(),
            },
            Step::CredentialSource {
                profile: "p".into(),
                source: CredentialSource::Environment,
                inputs: SecretDigest::of([("i", Some("x"))]),
            },
            Step::Sso {
                profile: "p".into(),
                sso_session: Some("s".into()),
                sso_start_url: "u".into(),
                sso_region: "r".into(),
                sso_account_id: "a".into(),
                sso_role_name: "n".into(),
            },
        ]
    }

    fn plan_with_steps(steps: Vec<Step>) -> Plan {
        Plan {
            profile: "p".into(),
            flags: Overrides::default(),
            region: Some("r".into()),
            region_from: Some("p".into()),
            ca_bundle: None,
            steps,
            endpoints: SecretDigest::default(),
        }
    }

    /// A different value of the same JSON type.
    fn changed(v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) if s == "config" => Value::String("flag".into()),
            Value::String(s) if s == "Environment" => Value::String("EcsContainer".into()),
            Value::String(s) => Value::String(format!("{s}-changed")),
            Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => Value::String("now-set".into()),
            other => panic!("no change for {other}"),
        }
    }

    #[test]
    fn every_field_of_every_step_kind_changes_the_cache_key() {
        let mut seen = 0;
        for step in every_kind() {
            let base = plan_with_steps(vec![step.clone()]).cache_key();
            let json = serde_json::to_value(&step).unwrap();
            for (field, value) in json.as_object().unwrap() {
                if field == "kind" {
                    continue;
                }
                let mut edited = json.clone();
                edited[field] = changed(value);
                let mut other: Step = serde_json::from_value(edited).unwrap();
                // Fields serde does not show (digests) are carried over, then changed below.
                match (&mut other, &step) {
                    (
                        Step::Static { secret, keys, .. },
                        Step::Static {
                            secret: s, keys: k, ..
                        },
                    ) => {
                        *secret = s.clone();
                        *keys = k.clone();
                    }
                    (
                        Step::CredentialSource { inputs, .. },
                        Step::CredentialSource { inputs: i, .. },
                    ) => {
                        *inputs = i.clone();
                    }
                    _ => {}
                }
                assert_ne!(other, step, "{field} of {}", step.kind());
                assert_ne!(
                    plan_with_steps(vec![other]).cache_key(),
                    base,
                    "{field} of {}",
                    step.kind()
                );
                seen += 1;
            }
        }
        assert!(seen >= 30, "{seen}");
        // The digests that are never shown.
        for mut step in every_kind() {
            let base = plan_with_steps(vec![step.clone()]).cache_key();
            match &mut step {
                Step::Static { secret: d, .. } | Step::CredentialSource { inputs: d, .. } => {
                    *d = SecretDigest::of([("other", Some("y"))]);
                }
                _ => continue,
            }
            assert_ne!(plan_with_steps(vec![step]).cache_key(), base);
        }
        // And the plan's own fields.
        let base = plan_with_steps(Vec::new());
        let key = base.cache_key();
        let mut p = base.clone();
        p.flags.duration = Some(Duration::from_secs(1));
        assert_ne!(p.cache_key(), key);
        let mut p = base.clone();
        p.region = None;
        assert_ne!(p.cache_key(), key);
        let mut p = base.clone();
        p.endpoints = SecretDigest::of([("AWS_ENDPOINT_URL", Some("http://x"))]);
        assert_ne!(p.cache_key(), key);
        let mut p = base;
        p.profile = "q".into();
        assert_ne!(p.cache_key(), key);
    }
}
