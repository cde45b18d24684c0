//! The chain rules of DESIGN §3 and the plans they make.

use std::path::Path;

use super::*;

const CREDS: &str = "[base]\naws_access_key_id = AKIAFAKE0001\naws_secret_access_key = fake-secret\n\
                     [temp]\naws_access_key_id = ASIAFAKE0002\naws_secret_access_key = fake-secret\naws_session_token = fake-token\n";

pub(super) fn profiles(config: &str) -> ProfileSet {
    ProfileSet::parse(config, Path::new("config"), CREDS, Path::new("credentials")).unwrap()
}

fn kinds(p: &Plan) -> Vec<&'static str> {
    p.steps.iter().map(Step::kind).collect()
}

#[test]
fn long_lived_keys_get_a_session_token_with_discovery() {
    let set = profiles("");
    let p = plan(&set, "base", &Overrides::default()).unwrap();
    assert_eq!(kinds(&p), ["static", "session-token"]);
    let mfa = p.steps[1].mfa().unwrap();
    assert_eq!(
        (mfa.mfa_serial.as_deref(), mfa.mfa_serial_from),
        (None, MfaFrom::Discovered)
    );
}

#[test]
fn keys_with_a_token_are_used_as_they_are() {
    let p = plan(&profiles(""), "temp", &Overrides::default()).unwrap();
    assert_eq!(kinds(&p), ["static"]);
}

#[test]
fn role_with_mfa_goes_through_a_shared_mfa_session() {
    let set = profiles(
        "[profile prod]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\nregion = eu-west-1\n",
    );
    let p = plan(&set, "prod", &Overrides::default()).unwrap();
    assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
    assert!(matches!(
        p.steps[1],
        Step::SessionToken { shared: true, .. }
    ));
    assert!(p.steps[2].mfa().is_none());
    assert_eq!(p.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn long_role_sessions_take_mfa_directly() {
    let set = profiles(
        "[profile prod]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\nduration_seconds = 7200\n",
    );
    let p = plan(&set, "prod", &Overrides::default()).unwrap();
    assert_eq!(kinds(&p), ["static", "assume-role"]);
    let mfa = p.steps[1].mfa().unwrap();
    assert_eq!(mfa.mfa_serial_from, MfaFrom::Config);
}

#[test]
fn chains_run_from_source_to_final_role() {
    let set = profiles(
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\nexternal_id = x\nrole_session_name = me\n",
    );
    let p = plan(&set, "b", &Overrides::default()).unwrap();
    assert_eq!(kinds(&p), ["static", "assume-role", "assume-role"]);
    assert!(
        matches!(&p.steps[2], Step::AssumeRole { external_id: Some(x), role_session_name: Some(n), .. } if x == "x" && n == "me")
    );
}

#[test]
fn a_loop_names_its_profiles() {
    let set = profiles(
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
    );
    let err = plan(&set, "a", &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("a -> b -> a"), "{err}");
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let err = plan(&profiles(""), "nope", &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"nope\"") && err.contains("base, temp"),
        "{err}"
    );
}

#[test]
fn flags_override_role_source_duration_and_device() {
    let set = profiles("");
    let o = Overrides {
        role_arn: Some("arn:aws:iam::1:role/x".into()),
        source_profile: Some("base".into()),
        duration: Some(Duration::from_secs(900)),
        serial_number: Some("arn:aws:iam::1:mfa/flag".into()),
    };
    let p = plan(&set, "base", &o).unwrap();
    assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
    assert_eq!(p.steps[1].mfa().unwrap().mfa_serial_from, MfaFrom::Flag);
    assert!(matches!(
        p.steps[2],
        Step::AssumeRole {
            duration_seconds: Some(900),
            ..
        }
    ));
}

#[test]
fn role_flag_takes_the_source_profiles_mfa_serial() {
    let set = profiles("[profile base]\nmfa_serial = arn:aws:iam::1:mfa/base\n");
    let o = Overrides {
        role_arn: Some("arn:aws:iam::1:role/x".into()),
        ..Overrides::default()
    };
    let p = plan(&set, "base", &o).unwrap();
    assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
    let mfa = p.steps[1].mfa().unwrap();
    assert_eq!(mfa.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/base"));
    assert_eq!(mfa.mfa_serial_from, MfaFrom::Config);
}

#[test]
fn other_sources() {
    let set = profiles(
        "[profile env]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n\
         [profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /tmp/t\n\
         [profile proc]\ncredential_process = echo {}\n\
         [profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n\
         [sso-session s]\nsso_start_url = https://x\nsso_region = us-east-1\n",
    );
    let k = |n: &str| kinds(&plan(&set, n, &Overrides::default()).unwrap());
    assert_eq!(k("env"), ["credential-source", "assume-role"]);
    assert_eq!(k("web"), ["web-identity"]);
    assert_eq!(k("proc"), ["credential-process"]);
    assert_eq!(k("sso"), ["sso"]);
}

#[test]
fn missing_secret_is_one_clear_line() {
    let set = ProfileSet::parse(
        "",
        Path::new("c"),
        "[x]\naws_access_key_id = AKIA\n",
        Path::new("k"),
    )
    .unwrap();
    let err = plan(&set, "x", &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("aws_secret_access_key is missing"), "{err}");
}

#[test]
fn editing_the_profile_changes_the_cache_key() {
    let a = profiles("[profile p]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\n");
    let b = profiles("[profile p]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = base\n");
    let key = |s: &ProfileSet| plan(s, "p", &Overrides::default()).unwrap().cache_key();
    assert_ne!(key(&a), key(&b));
    assert_eq!(key(&a), key(&a));
}

pub(super) static NO_ENV: std::sync::LazyLock<crate::env::Env> =
    std::sync::LazyLock::new(crate::env::Env::default);

fn plan_of(config: &str, name: &str, o: &Overrides) -> Plan {
    plan_with_env(&profiles(config), name, o, &NO_ENV).unwrap()
}

fn role(step: &Step) -> (&str, &str, Option<&str>, Option<&str>, Option<u64>) {
    match step {
        Step::AssumeRole {
            profile,
            role_arn,
            external_id,
            role_session_name,
            duration_seconds,
            ..
        } => (
            profile,
            role_arn,
            external_id.as_deref(),
            role_session_name.as_deref(),
            *duration_seconds,
        ),
        other => panic!("not an assume-role step: {other:?}"),
    }
}

/// ops assumes a role with carol's keys; ops names the device, carol has the mfa_process.
const OPS_CAROL: &str = "[profile carol]\naws_access_key_id = AKIAFAKECAROL0000001\naws_secret_access_key = fake-secret-carol\n\
     mfa_process = echo 123456\nregion = eu-west-1\nmfa_serial = arn:aws:iam::1:mfa/carol-own\n\
     role_session_name = carol-name\nexternal_id = carol-ext\nduration_seconds = 900\nca_bundle = /carol.pem\n\
     [profile ops]\nrole_arn = arn:aws:iam::1:role/ops\nsource_profile = carol\nmfa_serial = arn:aws:iam::1:mfa/carol\n";

#[test]
fn chain_key_mfa_process_comes_from_the_nearest_profile_up_the_chain() {
    let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
    assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
    let m = p.steps[1].mfa().unwrap();
    assert_eq!(m.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/carol"));
    assert_eq!(m.mfa_serial_profile.as_deref(), Some("ops"));
    assert_eq!(m.mfa_process.as_deref(), Some("echo 123456"));
    assert_eq!(m.mfa_process_from.as_deref(), Some("carol"));
    // The profile that names the device wins over its source.
    let own = format!("{OPS_CAROL}mfa_process = echo 654321\n");
    let m = plan_of(&own, "ops", &Overrides::default()).steps[1]
        .mfa()
        .unwrap()
        .clone();
    assert_eq!(
        (m.mfa_process.as_deref(), m.mfa_process_from.as_deref()),
        (Some("echo 654321"), Some("ops"))
    );
}

#[test]
fn chain_keys_of_the_role_belong_to_the_profile_that_assumes_it() {
    // carol's own mfa_serial, role_session_name, external_id and duration_seconds are not
    // ops's: ops's role gets none of them, and its device is ops's own.
    let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
    assert_eq!(
        role(&p.steps[2]),
        ("ops", "arn:aws:iam::1:role/ops", None, None, None)
    );
    let with_own = format!(
        "{OPS_CAROL}role_session_name = ops-name\nexternal_id = ops-ext\nduration_seconds = 1800\n"
    );
    let p = plan_of(&with_own, "ops", &Overrides::default());
    assert_eq!(
        role(&p.steps[2]),
        (
            "ops",
            "arn:aws:iam::1:role/ops",
            Some("ops-ext"),
            Some("ops-name"),
            Some(1800)
        )
    );
    // A source's role_arn is its own role, assumed before the selected one.
    let chained = "[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\nsource_profile = base\nexternal_id = mid-ext\n\
         [profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = mid\n";
    let p = plan_of(chained, "top", &Overrides::default());
    assert_eq!(
        role(&p.steps[1]),
        (
            "mid",
            "arn:aws:iam::1:role/mid",
            Some("mid-ext"),
            None,
            None
        )
    );
    assert_eq!(
        role(&p.steps[2]),
        ("top", "arn:aws:iam::1:role/top", None, None, None)
    );
}

#[test]
fn chain_key_region_comes_from_the_selected_profile_else_up_the_chain() {
    let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
    assert_eq!(p.region.as_deref(), Some("eu-west-1"));
    assert_eq!(p.region_from.as_deref(), Some("carol"));
    let own = format!("{OPS_CAROL}region = us-west-2\n");
    let p = plan_of(&own, "ops", &Overrides::default());
    assert_eq!(
        (p.region.as_deref(), p.region_from.as_deref()),
        (Some("us-west-2"), Some("ops"))
    );
}

#[test]
fn chain_key_ca_bundle_comes_from_the_selected_profile_only() {
    assert_eq!(
        plan_of(OPS_CAROL, "ops", &Overrides::default()).ca_bundle,
        None
    );
    assert_eq!(
        plan_of(OPS_CAROL, "carol", &Overrides::default())
            .ca_bundle
            .as_deref(),
        Some("/carol.pem")
    );
}

#[test]
fn chain_key_duration_of_a_plain_profile_and_dash_d() {
    let p = plan_of(OPS_CAROL, "carol", &Overrides::default());
    assert!(matches!(
        &p.steps[1],
        Step::SessionToken { duration_seconds: 900, duration_seconds_from: Some(f), .. } if f == "carol"
    ));
    let d = Overrides {
        duration: Some(Duration::from_secs(3600)),
        ..Overrides::default()
    };
    let p = plan_of(OPS_CAROL, "carol", &d);
    assert!(matches!(
        &p.steps[1],
        Step::SessionToken { duration_seconds: 3600, duration_seconds_from: Some(f), .. } if f == "-d"
    ));
    // -d applies to the final role only, never to the shared MFA session.
    let p = plan_of(OPS_CAROL, "ops", &d);
    assert!(matches!(
        &p.steps[1],
        Step::SessionToken {
            duration_seconds: 43200,
            shared: true,
            ..
        }
    ));
    assert_eq!(role(&p.steps[2]).4, Some(3600));
}

/// admin assumes a role from base; base has the region.
const ADMIN: &str = "[profile base]\nregion = eu-central-1\n\
     [profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = base\nexternal_id = admin-ext\n\
     role_session_name = admin-name\nmfa_serial = arn:aws:iam::1:mfa/base\nmfa_process = echo 111111\n";

#[test]
fn dash_r_replaces_the_role_and_keeps_the_profiles_settings() {
    let o = Overrides {
        role_arn: Some("arn:aws:iam::1:role/other".into()),
        ..Overrides::default()
    };
    let plain = plan_of(ADMIN, "admin", &Overrides::default());
    let p = plan_of(ADMIN, "admin", &o);
    assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
    assert_eq!(
        role(&p.steps[2]),
        (
            "admin",
            "arn:aws:iam::1:role/other",
            Some("admin-ext"),
            Some("admin-name"),
            None
        )
    );
    assert!(matches!(&p.steps[2], Step::AssumeRole { role_arn_from, .. } if role_arn_from == "-r"));
    let m = p.steps[1].mfa().unwrap();
    assert_eq!(m.mfa_process.as_deref(), Some("echo 111111"));
    assert_eq!(p.region.as_deref(), Some("eu-central-1"));
    assert_eq!(p.name(), "admin -r arn:aws:iam::1:role/other");
    assert_eq!(plain.name(), "admin");
    assert_ne!(p.cache_key(), plain.cache_key());
}

#[test]
fn dash_s_replaces_the_source_and_names_the_plan() {
    let o = Overrides {
        role_arn: Some("arn:aws:iam::1:role/x".into()),
        source_profile: Some("base".into()),
        ..Overrides::default()
    };
    // No [default] at all: -s and -r stand on their own.
    let p = plan_of("[profile base]\nregion = eu-central-1\n", "default", &o);
    assert_eq!(kinds(&p), ["static", "assume-role"]);
    assert_eq!(p.steps[0].profile(), "base");
    assert_eq!(p.region_from.as_deref(), Some("base"));
    assert_eq!(p.name(), "default -r arn:aws:iam::1:role/x -s base");
    // -s on a role profile: its role, assumed with the other profile's credentials.
    let s = Overrides {
        source_profile: Some("temp".into()),
        ..Overrides::default()
    };
    let p = plan_of(ADMIN, "admin", &s);
    assert_eq!(kinds(&p), ["static", "assume-role"]);
    assert_eq!(p.steps[0].profile(), "temp");
    assert_eq!(role(&p.steps[1]).1, "arn:aws:iam::1:role/admin");
    // -s without any role to assume is refused.
    let err = plan_with_env(&profiles(""), "base", &s, &NO_ENV)
        .unwrap_err()
        .to_string();
    assert!(err.contains("-s temp") && err.contains("-r ARN"), "{err}");
}

#[test]
fn each_flag_names_its_own_cache_entry() {
    let all = [
        Overrides {
            role_arn: Some("arn:aws:iam::1:role/x".into()),
            ..Overrides::default()
        },
        Overrides {
            source_profile: Some("temp".into()),
            ..Overrides::default()
        },
        Overrides {
            duration: Some(Duration::from_secs(900)),
            ..Overrides::default()
        },
        Overrides {
            serial_number: Some("arn:aws:iam::1:mfa/flag".into()),
            ..Overrides::default()
        },
        Overrides::default(),
    ];
    let names: std::collections::BTreeSet<String> = all
        .iter()
        .map(|o| plan_of(ADMIN, "admin", o).name())
        .collect();
    assert_eq!(names.len(), all.len(), "{names:?}");
}

#[test]
fn a_chain_deeper_than_the_cap_is_one_line_without_overflow() {
    // 10,000 profiles, each the source of the next: no recursion, one line.
    let mut config = String::new();
    for i in 1..10_000 {
        config.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = p{}\n",
            i - 1
        ));
    }
    config.push_str("[profile p0]\nrole_arn = arn:aws:iam::1:role/r0\nsource_profile = base\n");
    let set = profiles(&config);
    let err = plan_with_env(&set, "p9999", &Overrides::default(), &NO_ENV)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"p9999\"") && err.contains("more than 32 roles") && !err.contains('\n'),
        "{err}"
    );
    // 32 roles deep is still fine; 33 is not.
    let p = plan_with_env(&set, "p31", &Overrides::default(), &NO_ENV).unwrap();
    assert_eq!(p.steps.len(), 33);
    assert!(plan_with_env(&set, "p32", &Overrides::default(), &NO_ENV).is_err());
}
