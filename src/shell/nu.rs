//! nushell: data, not code. `awsdo export nu` prints one JSON record
//! `{"set": {NAME: value, ...}, "hide": [NAME, ...]}` that the `shell/awsdo.nu` hook applies
//! with `load-env` and `hide-env`; nu never evaluates any of it. The only nu literal awsdo
//! writes is the binary's path in the hook, as a raw string.

use std::borrow::Cow;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Changes, Shell, fill_hook, for_valid_key, valid_key};

/// The nushell dialect.
pub struct Nu;

const HOOK: &str = include_str!("../../shell/awsdo.nu");

impl Shell for Nu {
    fn name(&self) -> &'static str {
        "nu"
    }

    /// A raw string `r#'…'#` with one `#` more than the longest run of `#` that follows a `'`
    /// in `s`, so nothing inside can close it; raw strings have no escapes at all and may span
    /// lines. Needs nu 0.90 or later.
    /// https://www.nushell.sh/book/working_with_strings.html#raw-strings
    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut longest = 0;
        for (i, _) in s.match_indices('\'') {
            let run = s[i + 1..].bytes().take_while(|b| *b == b'#').count();
            longest = longest.max(run);
        }
        let hashes = "#".repeat(longest + 1);
        Cow::Owned(format!("r{hashes}'{s}'{hashes}"))
    }

    /// `$env.KEY = r#'value'#`: a nu statement, for completeness of the trait; awsdo prints
    /// records (see [`Shell::record`]), not statements, for nu.
    fn set(&self, key: &str, value: &str) -> String {
        for_valid_key(key, || format!("$env.{key} = {}\n", self.quote(value)))
    }

    fn unset(&self, key: &str) -> String {
        for_valid_key(key, || format!("hide-env -i {key}\n"))
    }

    fn hook(&self, exe: &Path, export_exe: &Path) -> String {
        fill_hook(self, HOOK, exe, export_exe)
    }

    /// One line of JSON: `{"hide":[…],"set":{…}}`, names in order, values as JSON strings
    /// (RFC 8259: every character round-trips). Invalid names are dropped as in [`super::render`].
    fn record(&self, changes: &Changes) -> Option<String> {
        Some(record(changes))
    }
}

/// `changes` as the record the nu hook applies.
pub(crate) fn record(changes: &Changes) -> String {
    let mut set = Map::new();
    let mut hide = Vec::new();
    for (key, value) in changes.iter().filter(|(key, _)| valid_key(key)) {
        match value {
            Some(v) => {
                set.insert(key.to_owned(), Value::String(v.to_owned()));
            }
            None => hide.push(Value::String(key.to_owned())),
        }
    }
    let mut out = Map::new();
    out.insert("set".to_owned(), Value::Object(set));
    out.insert("hide".to_owned(), Value::Array(hide));
    format!("{}\n", Value::Object(out))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn quote_is_a_raw_string_nothing_closes() {
        assert_eq!(Nu.quote("/usr/bin/awsdo"), "r#'/usr/bin/awsdo'#");
        assert_eq!(Nu.quote(""), "r#''#");
        assert_eq!(Nu.quote("it's"), "r#'it's'#");
        assert_eq!(Nu.quote("a'#b"), "r##'a'#b'##");
        assert_eq!(Nu.quote("a'##b'#"), "r###'a'##b'#'###");
    }

    #[test]
    fn set_and_unset_are_nu_statements() {
        assert_eq!(
            Nu.set("AWS_REGION", "eu'#x"),
            "$env.AWS_REGION = r##'eu'#x'##\n"
        );
        assert_eq!(Nu.unset("AWS_REGION"), "hide-env -i AWS_REGION\n");
    }

    #[test]
    fn record_sets_and_hides_in_name_order() {
        let mut map = BTreeMap::new();
        map.insert("B_KEY".to_owned(), Some("v\"\n$(x)".to_owned()));
        map.insert("A_KEY".to_owned(), None);
        map.insert("bad key;x".to_owned(), Some("v".to_owned()));
        assert_eq!(
            record(&Changes::from(map)),
            "{\"hide\":[\"A_KEY\"],\"set\":{\"B_KEY\":\"v\\\"\\n$(x)\"}}\n"
        );
        assert_eq!(record(&Changes::default()), "{\"hide\":[],\"set\":{}}\n");
    }
}
