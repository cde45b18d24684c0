//! `decide` and `outcome` from a table: every case of the prompt hook, from the shell's state
//! to the statements and the line reported.

use super::*;

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
const EXPIRY: &str = "2027-01-15T09:00:00Z"; // NOW + 1 h
const PAST: &str = "2027-01-15T07:00:00Z"; // NOW - 1 h
/// Credentials awsdo exported for "dev", over the user's own key and region.
const OWNED: &str = r#"{"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE","AWS_REGION":"us-east-2"},"hinted":false}"#;
const HINTED: &str = r#"{"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE","AWS_REGION":"us-east-2"},"hinted":true}"#;
const FORGED: &str = r#"{"owned":["PATH","HOME"],"saved":{"PATH":"/evil"}}"#;

/// A shell's environment: `(name, value)`.
type Env = &'static [(&'static str, &'static str)];

/// A shell that holds "dev"'s credentials until EXPIRY, refresh due at `refresh`.
fn holding(refresh: i64, state: &'static str, expiry: &'static str) -> Vec<(String, String)> {
    [
        ("AWSDO_PROFILE", "dev"),
        ("AWSDO_REFRESH_FILE", "/state/awsdo/refresh/mark"),
        ("AWS_ACCESS_KEY_ID", "ASIADEVEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "dev-secret"),
        ("AWS_SESSION_TOKEN", "dev-token"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWSDO_STATE", state),
        ("AWS_CREDENTIAL_EXPIRATION", expiry),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([("AWSDO_REFRESH_AT".to_owned(), refresh.to_string())])
    .collect()
}

fn state_of(env: &[(String, String)], fish: Option<bool>) -> HookState {
    let env = crate::env::Env::from_pairs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mark = move |_: &Path, _: i64| fish.unwrap_or(false);
    HookState::read(&env, fish.map(|_| &mark as MarkCheck<'_>))
}

fn owned(env: Env) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// "prod"'s credentials: keys, token, expiry at NOW + 1 h, region.
fn prod(expires: i64) -> Result<Got, Failure> {
    Ok(Got {
        vars: vec![
            ("AWS_ACCESS_KEY_ID", "ASIAPRODEXAMPLE".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "prod-secret".to_owned()),
            ("AWS_SESSION_TOKEN", "prod-token".to_owned()),
            ("AWS_CREDENTIAL_EXPIRATION", "x".to_owned()),
            ("AWS_REGION", "us-west-2".to_owned()),
            ("AWS_DEFAULT_REGION", "us-west-2".to_owned()),
        ],
        expires: Some(expires),
        min_ttl: 900,
    })
}

/// Static keys, no token, no expiry, no region.
fn keys() -> Result<Got, Failure> {
    Ok(Got {
        vars: vec![
            ("AWS_ACCESS_KEY_ID", "AKIASTATICEXAMPLE".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "static-secret".to_owned()),
        ],
        expires: None,
        min_ttl: 900,
    })
}

fn fails(mfa_needed: bool) -> Result<Got, Failure> {
    Err(Failure {
        message: "could not reach STS".to_owned(),
        mfa_needed,
    })
}

/// What a case must come to: the decision, then the printed changes (`None`: nothing printed;
/// `Some(list)`: exactly these `name=value` / `name` (unset) entries, hook markers included),
/// the mark, the error (a substring) and whether `awsdo use` announces.
struct Case {
    name: &'static str,
    env: Vec<(String, String)>,
    fish: Option<bool>,
    wanted: Option<&'static str>,
    force: bool,
    atomic: Option<Atomic>,
    got: Option<Result<Got, Failure>>,
    decision: Decision,
    printed: Option<&'static [&'static str]>,
    mark: Mark,
    error: Option<&'static str>,
    announce: bool,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            name: "",
            env: Vec::new(),
            fish: None,
            wanted: None,
            force: false,
            atomic: None,
            got: None,
            decision: Decision::UpToDate,
            printed: None,
            mark: Mark::Keep,
            error: None,
            announce: false,
        }
    }
}

fn shown(changes: &Changes) -> Vec<String> {
    changes
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.to_owned(),
        })
        .collect()
}

const SET_PROD: [&str; 6] = [
    "AWS_ACCESS_KEY_ID=ASIAPRODEXAMPLE",
    "AWS_CREDENTIAL_EXPIRATION=x",
    "AWS_DEFAULT_REGION=us-west-2",
    "AWS_REGION=us-west-2",
    "AWS_SECRET_ACCESS_KEY=prod-secret",
    "AWS_SESSION_TOKEN=prod-token",
];

#[test]
fn every_case_of_the_hook() {
    let due = NOW - 1;
    let later = NOW + HOUR / 2;
    // prod's state after a switch from the fresh shell / from dev (the user's key kept).
    let fresh_state = r#"AWSDO_STATE={"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_REGION":"us-east-1"},"hinted":false}"#;
    let from_dev = r#"AWSDO_STATE={"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE","AWS_REGION":"us-east-2"},"hinted":false}"#;
    let refresh = format!("AWSDO_REFRESH_AT={}", NOW + HOUR - 900);
    let refresh: &'static str = Box::leak(refresh.into_boxed_str());
    let leak =
        |v: Vec<&'static str>| -> &'static [&'static str] { Box::leak(v.into_boxed_slice()) };
    let switched_to = |profile: &'static str, state: &'static str| {
        let mut v: Vec<&'static str> = SET_PROD.to_vec();
        v.extend([profile, refresh, state]);
        v.sort_unstable();
        leak(v)
    };
    let switched = |state: &'static str| switched_to("AWSDO_PROFILE=prod", state);
    let reverted = [
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_DEFAULT_REGION",
        "AWS_REGION=us-east-2",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ];
    let cases = vec![
        Case {
            name: "no profile, nothing held: nothing",
            env: owned(&[("AWS_REGION", "us-east-1")]),
            ..Case::default()
        },
        Case {
            name: "profile gone: revert and clear the markers",
            env: holding(later, OWNED, EXPIRY),
            decision: Decision::Revert,
            printed: Some(leak(
                reverted
                    .into_iter()
                    .chain([
                        "AWSDO_PROFILE",
                        "AWSDO_REFRESH_AT",
                        "AWSDO_REFRESH_FILE",
                        "AWSDO_STATE",
                    ])
                    .collect(),
            )),
            ..Case::default()
        },
        Case {
            name: "forged state: PATH and HOME are never reverted",
            env: owned(&[
                ("AWSDO_PROFILE", "dev"),
                ("AWSDO_STATE", FORGED),
                ("PATH", "/bin"),
            ]),
            decision: Decision::Revert,
            printed: Some(&[
                "AWSDO_PROFILE",
                "AWSDO_REFRESH_AT",
                "AWSDO_REFRESH_FILE",
                "AWSDO_STATE",
            ]),
            ..Case::default()
        },
        Case {
            name: "same profile, refresh not due: nothing",
            env: holding(later, OWNED, EXPIRY),
            wanted: Some("dev"),
            ..Case::default()
        },
        Case {
            name: "fish, refresh mark still there: nothing",
            env: holding(later, OWNED, EXPIRY),
            fish: Some(true),
            wanted: Some("dev"),
            ..Case::default()
        },
        Case {
            name: "fish, refresh mark gone: make it again, nothing else",
            env: holding(later, OWNED, EXPIRY),
            fish: Some(false),
            wanted: Some("dev"),
            decision: Decision::Remark { at: later },
            printed: Some(&[]),
            mark: Mark::At(later),
            ..Case::default()
        },
        Case {
            name: "switch from a fresh shell: the user's region saved",
            env: owned(&[("AWS_REGION", "us-east-1")]),
            wanted: Some("prod"),
            got: Some(prod(NOW + HOUR)),
            decision: Decision::Switch("prod".into()),
            printed: Some(switched(fresh_state)),
            ..Case::default()
        },
        Case {
            name: "switch from dev: dev's saved values carried over, not dev's keys",
            env: holding(later, OWNED, EXPIRY),
            fish: Some(true),
            wanted: Some("prod"),
            got: Some(prod(NOW + HOUR)),
            decision: Decision::Switch("prod".into()),
            printed: Some(switched(from_dev)),
            mark: Mark::At(NOW + HOUR - 900),
            ..Case::default()
        },
        Case {
            name: "switch to static keys: what they lack goes back to the user's",
            env: holding(later, OWNED, EXPIRY),
            fish: Some(false),
            wanted: Some("static"),
            got: Some(keys()),
            decision: Decision::Switch("static".into()),
            printed: Some(&[
                "AWSDO_PROFILE=static",
                "AWSDO_REFRESH_AT",
                r#"AWSDO_STATE={"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE"},"hinted":false}"#,
                "AWS_ACCESS_KEY_ID=AKIASTATICEXAMPLE",
                "AWS_CREDENTIAL_EXPIRATION",
                "AWS_DEFAULT_REGION",
                "AWS_REGION=us-east-2",
                "AWS_SECRET_ACCESS_KEY=static-secret",
                "AWS_SESSION_TOKEN",
            ]),
            mark: Mark::Remove,
            ..Case::default()
        },
        Case {
            name: "--force on the held profile switches",
            env: holding(later, OWNED, EXPIRY),
            wanted: Some("dev"),
            force: true,
            got: Some(fails(false)),
            decision: Decision::Switch("dev".into()),
            printed: Some(leak(
                reverted
                    .into_iter()
                    .chain(["AWSDO_PROFILE=dev", "AWSDO_REFRESH_AT", "AWSDO_STATE"])
                    .collect(),
            )),
            error: Some("could not reach STS"),
            ..Case::default()
        },
        Case {
            name: "renewal: never after expiry, not sooner than RETRY_AFTER",
            env: holding(due, OWNED, EXPIRY),
            wanted: Some("dev"),
            got: Some(prod(NOW + 600)),
            decision: Decision::Renew("dev".into()),
            printed: Some(leak({
                let mut v: Vec<&'static str> = SET_PROD.to_vec();
                v.extend(["AWSDO_PROFILE=dev", "AWSDO_REFRESH_AT=1800000060", from_dev]);
                v.sort_unstable();
                v
            })),
            ..Case::default()
        },
        Case {
            name: "renewal needs MFA, credentials still valid: keep them, hint once, wait for expiry",
            env: holding(due, OWNED, EXPIRY),
            fish: Some(true),
            wanted: Some("dev"),
            got: Some(fails(true)),
            decision: Decision::Renew("dev".into()),
            printed: Some(&[
                "AWSDO_PROFILE=dev",
                "AWSDO_REFRESH_AT=1800003600",
                HINTED_VAR,
            ]),
            mark: Mark::At(NOW + HOUR),
            error: Some("an MFA code is needed; run: awsdo login dev"),
            ..Case::default()
        },
        Case {
            name: "renewal fails again after the hint: quiet, retry later",
            env: holding(due, HINTED, EXPIRY),
            wanted: Some("dev"),
            got: Some(fails(false)),
            decision: Decision::Renew("dev".into()),
            printed: Some(&[
                "AWSDO_PROFILE=dev",
                "AWSDO_REFRESH_AT=1800000060",
                HINTED_VAR,
            ]),
            ..Case::default()
        },
        Case {
            name: "renewal fails, credentials expired: removed, login named",
            env: holding(due, HINTED, PAST),
            wanted: Some("dev"),
            got: Some(fails(true)),
            decision: Decision::Renew("dev".into()),
            printed: Some(leak(
                reverted
                    .into_iter()
                    .chain(["AWSDO_PROFILE=dev", "AWSDO_REFRESH_AT", "AWSDO_STATE"])
                    .collect(),
            )),
            error: Some("removed the expired credentials of profile \"dev\"; run: awsdo login dev"),
            ..Case::default()
        },
        Case {
            name: "renewal fails, credentials expired, STS down: removed, reason given",
            env: holding(due, OWNED, PAST),
            wanted: Some("dev"),
            got: Some(fails(false)),
            decision: Decision::Renew("dev".into()),
            printed: Some(leak(
                reverted
                    .into_iter()
                    .chain(["AWSDO_PROFILE=dev", "AWSDO_REFRESH_AT", "AWSDO_STATE"])
                    .collect(),
            )),
            error: Some("removed the expired credentials of profile \"dev\": could not reach STS"),
            ..Case::default()
        },
        Case {
            name: "atomic use succeeds: the same as a switch, announced",
            env: holding(later, OWNED, EXPIRY),
            wanted: Some("prod"),
            atomic: Some(Atomic::Use),
            got: Some(prod(NOW + HOUR)),
            decision: Decision::Switch("prod".into()),
            printed: Some(switched(from_dev)),
            announce: true,
            ..Case::default()
        },
        Case {
            name: "atomic login on the held profile, refresh not due: switches, not announced",
            env: holding(later, OWNED, EXPIRY),
            wanted: Some("dev"),
            atomic: Some(Atomic::Login),
            got: Some(prod(NOW + HOUR)),
            decision: Decision::Switch("dev".into()),
            printed: Some(switched_to("AWSDO_PROFILE=dev", from_dev)),
            ..Case::default()
        },
        Case {
            name: "atomic use fails: nothing printed, the error reported",
            env: holding(later, OWNED, EXPIRY),
            fish: Some(true),
            wanted: Some("prod"),
            atomic: Some(Atomic::Use),
            got: Some(fails(true)),
            decision: Decision::Switch("prod".into()),
            error: Some("could not reach STS"),
            ..Case::default()
        },
        Case {
            name: "atomic login fails even while holding valid credentials: nothing printed",
            env: holding(due, OWNED, EXPIRY),
            wanted: Some("dev"),
            atomic: Some(Atomic::Login),
            got: Some(fails(false)),
            decision: Decision::Switch("dev".into()),
            error: Some("could not reach STS"),
            ..Case::default()
        },
    ];
    for case in cases {
        let name = case.name;
        let state = state_of(&case.env, case.fish);
        let wanted = Wanted {
            profile: case.wanted.map(str::to_owned),
            force: case.force,
            atomic: case.atomic,
        };
        let decision = decide(&state, &wanted, NOW);
        assert_eq!(decision, case.decision, "{name}");
        assert_eq!(decision.needs().is_some(), case.got.is_some(), "{name}");
        let out = outcome(&state, &wanted, &decision, case.got, NOW);
        let mut want: Option<Vec<String>> = case
            .printed
            .map(|p| p.iter().map(|s| (*s).to_owned()).collect());
        if let Some(w) = &mut want {
            w.sort_unstable();
        }
        assert_eq!(out.changes.as_ref().map(shown), want, "{name}");
        assert_eq!(out.mark, case.mark, "{name}");
        match (&out.error, case.error) {
            (None, None) => {}
            (Some(got), Some(want)) => assert!(got.contains(want), "{name}: {got}"),
            (got, want) => panic!("{name}: error {got:?}, expected {want:?}"),
        }
        assert_eq!(out.announce, case.announce, "{name}");
    }
}

const HINTED_VAR: &str = r#"AWSDO_STATE={"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_CREDENTIAL_EXPIRATION","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAIOSFODNN7EXAMPLE","AWS_REGION":"us-east-2"},"hinted":true}"#;

#[test]
fn a_state_shows_no_value_in_debug() {
    let state = state_of(&holding(NOW, OWNED, EXPIRY), None);
    let shown = format!("{state:?}");
    assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
    for secret in ["dev-secret", "dev-token", "AKIAIOSFODNN7EXAMPLE"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn an_unreadable_refresh_time_or_state_reads_as_unset() {
    let env = owned(&[
        ("AWSDO_PROFILE", "dev"),
        ("AWSDO_REFRESH_AT", "soon"),
        ("AWSDO_STATE", "{not json"),
    ]);
    let state = state_of(&env, None);
    assert_eq!(state.refresh_at, None);
    assert_eq!(state.record, Record::default());
    let wanted = Wanted {
        profile: Some("dev".into()),
        ..Wanted::default()
    };
    assert_eq!(decide(&state, &wanted, NOW), Decision::UpToDate);
}
