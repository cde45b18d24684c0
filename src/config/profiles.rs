//! The merged view of both files: profiles, sso-sessions and services sections by name.
//!
//! Merging rules, from the SDK conformance cases: a section repeated in one file merges, the last
//! value of a property wins; in the config file `[profile default]` beats every bare `[default]`
//! (wherever either appears); the credentials file is merged over the config file property by
//! property. Debug output never shows secret values.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::location::Locations;
use super::parse::{FileKind, Property, RawSection, SectionKind, parse_file};

/// Keys whose values are secrets: `Debug` prints `<redacted>` for them. `aws_security_token` is
/// the older name of `aws_session_token`, still read by the AWS CLI.
const SECRET_KEYS: [&str; 3] = [
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// A named group of properties: a profile, an sso-session or a services section.
#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    name: String,
    properties: BTreeMap<String, Property>,
    /// The file each property's value was taken from (the last one merged).
    origins: BTreeMap<String, FileKind>,
    /// The files with a header for this section, in merge order.
    defined_in: Vec<FileKind>,
}

/// A profile (from `[profile NAME]`/`[default]` in config or `[NAME]` in credentials).
pub type Profile = Section;

impl Section {
    fn new(name: &str) -> Section {
        Section {
            name: name.to_string(),
            properties: BTreeMap::new(),
            origins: BTreeMap::new(),
            defined_in: Vec::new(),
        }
    }

    /// The section's name, e.g. `dev` for `[profile dev]`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property's value; keys are case-insensitive. A sub-property block's value is its lines,
    /// each after a `\n`; use [`Section::sub_properties`] to read it as a map.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.property(key).map(|p| p.value.as_str())
    }

    /// The `name = value` pairs of a sub-property block (`s3 =` followed by indented lines),
    /// names lowercased; `None` if `key` is absent or is a plain property.
    pub fn sub_properties(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.property(key)?.sub_properties.as_ref()
    }

    /// The property keys, lowercased and sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(String::as_str)
    }

    /// `(key, value)` pairs sorted by key, values as [`Section::get`] returns them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, p)| (k.as_str(), p.value.as_str()))
    }

    fn property(&self, key: &str) -> Option<&Property> {
        match self.properties.get(key) {
            Some(p) => Some(p),
            // Only allocate when the caller's key is not already in stored (lowercase) form.
            None if key.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.properties.get(&key.to_ascii_lowercase())
            }
            None => None,
        }
    }

    fn merge(&mut self, properties: Vec<(String, Property)>, file: FileKind) {
        if !self.defined_in.contains(&file) {
            self.defined_in.push(file);
        }
        // A later definition replaces the whole property, sub-properties included.
        for (key, property) in properties {
            self.origins.insert(key.clone(), file);
            self.properties.insert(key, property);
        }
    }
}

impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("properties", &RedactedProperties(&self.properties))
            .finish()
    }
}

/// Debug view of properties: secrets hidden, sub-property blocks shown as maps (so a secret
/// inside one is hidden too).
struct RedactedProperties<'a>(&'a BTreeMap<String, Property>);

impl fmt::Debug for RedactedProperties<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, property) in self.0 {
            match &property.sub_properties {
                _ if is_secret(key) => map.entry(key, &"<redacted>"),
                Some(sub) => map.entry(key, &RedactedMap(sub)),
                None => map.entry(key, &property.value),
            };
        }
        map.finish()
    }
}

struct RedactedMap<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            let value = if is_secret(key) { "<redacted>" } else { value };
            map.entry(key, &value);
        }
        map.finish()
    }
}

fn is_secret(key: &str) -> bool {
    SECRET_KEYS.contains(&key)
}

/// Every profile, sso-session and services section of the config and credentials files, merged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Section>,
    sso_sessions: BTreeMap<String, Section>,
    services: BTreeMap<String, Section>,
    /// The config file's path, as located (only for naming it in messages).
    config_path: PathBuf,
    /// The credentials file's path, as located (only for naming it in messages).
    credentials_path: PathBuf,
}

impl ProfileSet {
    /// Read and parse both files; a file that does not exist counts as empty.
    pub fn load(locations: &Locations) -> Result<ProfileSet> {
        let config = read_optional(&locations.config)?;
        let credentials = read_optional(&locations.credentials)?;
        ProfileSet::parse(
            &config,
            &locations.config,
            &credentials,
            &locations.credentials,
        )
    }

    /// Parse and merge the two files' texts; the paths only name the file in errors.
    pub fn parse(
        config_text: &str,
        config_path: &Path,
        credentials_text: &str,
        credentials_path: &Path,
    ) -> Result<ProfileSet> {
        let config = parse_file(config_text, config_path, FileKind::Config)?;
        let credentials = parse_file(credentials_text, credentials_path, FileKind::Credentials)?;
        let mut set = ProfileSet {
            config_path: config_path.to_path_buf(),
            credentials_path: credentials_path.to_path_buf(),
            ..ProfileSet::default()
        };
        // `[profile default]` anywhere in the config file silences every bare `[default]`,
        // whichever comes first; this keeps the unambiguous spelling authoritative.
        let has_prefixed_default = config
            .iter()
            .any(|s| s.kind == SectionKind::Profile && s.name == "default");
        let config = config.into_iter().map(|s| (s, FileKind::Config));
        let credentials = credentials.into_iter().map(|s| (s, FileKind::Credentials));
        for (section, file) in config.chain(credentials) {
            let RawSection {
                kind,
                name,
                properties,
            } = section;
            let target = match kind {
                SectionKind::Profile => &mut set.profiles,
                SectionKind::BareDefault if !has_prefixed_default => &mut set.profiles,
                SectionKind::SsoSession => &mut set.sso_sessions,
                SectionKind::Services => &mut set.services,
                SectionKind::BareDefault | SectionKind::Ignored => continue,
            };
            target
                .entry(name)
                .or_insert_with_key(|name| Section::new(name))
                .merge(properties, file);
        }
        Ok(set)
    }

    /// The profile called `name`, if either file defines it.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// All profile names, sorted.
    pub fn profile_names(&self) -> Vec<&str> {
        // BTreeMap keys are already in sorted order.
        self.profiles.keys().map(String::as_str).collect()
    }

    /// The `[sso-session NAME]` section called `name`.
    pub fn sso_session(&self, name: &str) -> Option<&Section> {
        self.sso_sessions.get(name)
    }

    /// All sso-session names, sorted.
    pub fn sso_session_names(&self) -> Vec<&str> {
        self.sso_sessions.keys().map(String::as_str).collect()
    }

    /// The `[services NAME]` section called `name` (named by a profile's `services` property).
    pub fn services(&self, name: &str) -> Option<&Section> {
        self.services.get(name)
    }

    /// All services section names, sorted.
    pub fn services_names(&self) -> Vec<&str> {
        self.services.keys().map(String::as_str).collect()
    }

    /// The config file's path, as it was located (`AWS_CONFIG_FILE` or `~/.aws/config`).
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The credentials file's path, as it was located (`AWS_SHARED_CREDENTIALS_FILE` or
    /// `~/.aws/credentials`).
    pub fn credentials_path(&self) -> &Path {
        &self.credentials_path
    }

    /// The file the value of `key` in profile `profile` comes from: the credentials file when
    /// it sets the key (it is merged over the config file), else the config file. `None` when
    /// the profile or the key is absent. Keys are case-insensitive.
    pub fn key_file(&self, profile: &str, key: &str) -> Option<&Path> {
        let section = self.profiles.get(profile)?;
        let file = match section.origins.get(key) {
            Some(file) => *file,
            None => *section.origins.get(&key.to_ascii_lowercase())?,
        };
        Some(self.path_of(file))
    }

    /// The files that have a section header for profile `profile`, config file first; empty
    /// when neither does.
    pub fn profile_files(&self, profile: &str) -> Vec<&Path> {
        let Some(section) = self.profiles.get(profile) else {
            return Vec::new();
        };
        let mut files: Vec<&Path> = section
            .defined_in
            .iter()
            .map(|f| self.path_of(*f))
            .collect();
        files.sort_by_key(|p| *p != self.config_path.as_path());
        files
    }

    fn path_of(&self, file: FileKind) -> &Path {
        match file {
            FileKind::Config => &self.config_path,
            FileKind::Credentials => &self.credentials_path,
        }
    }
}

impl fmt::Debug for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written out rather than derived so redaction visibly rests on Section's Debug alone.
        f.debug_struct("ProfileSet")
            .field("profiles", &self.profiles)
            .field("sso_sessions", &self.sso_sessions)
            .field("services", &self.services)
            .finish()
    }
}

/// The most of a shared config or credentials file awsdo reads: 16 MiB, some hundred times a
/// generated config of 1,000 profiles (~100 KB). A larger file (or `/dev/zero` named by
/// `AWS_CONFIG_FILE`) is an error rather than a process that grows until it is killed.
pub const MAX_SHARED_FILE: u64 = 16 * 1024 * 1024;

/// A file's text, or `""` if it does not exist. Any kind of file is read (a pipe from
/// `AWS_CONFIG_FILE=<(...)` too), at most [`MAX_SHARED_FILE`] bytes.
fn read_optional(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(String::new()),
        Err(err) => return Err(err).with_context(|| format!("could not read {}", path.display())),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut text =
        String::with_capacity(usize::try_from(size.min(MAX_SHARED_FILE) + 1).unwrap_or(0));
    file.take(MAX_SHARED_FILE + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("could not read {}", path.display()))?;
    if text.len() as u64 > MAX_SHARED_FILE {
        anyhow::bail!(
            "could not read {}: larger than {} MiB; is it the shared config file?",
            path.display(),
            MAX_SHARED_FILE / 1024 / 1024
        );
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(config: &str, credentials: &str) -> Result<ProfileSet> {
        ProfileSet::parse(
            config,
            Path::new("/home/u/.aws/config"),
            credentials,
            Path::new("/home/u/.aws/credentials"),
        )
    }

    #[test]
    fn error_names_file_and_line() {
        let err = parse("[profile a]\nx = 1\n\nbroken line", "").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "could not parse /home/u/.aws/config line 4: Expected an '=' sign defining a property"
        );
        let err = parse("", "[a]\n= v").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "could not parse /home/u/.aws/credentials line 2: Property did not have a name"
        );
    }

    #[test]
    fn error_does_not_echo_the_line() {
        // A malformed credentials line may hold a secret; it must not reach stderr.
        let err = parse("", "[a]\naws_secret_access_key: hunter2").unwrap_err();
        assert!(!format!("{err:#}").contains("hunter2"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let set = parse(
            "[profile a]\nregion = eu-west-1\nsvc =\n  aws_session_token = tok-sub",
            "[a]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s3cr3t\naws_session_token = tok3n\naws_security_token = old-tok3n",
        )
        .unwrap();
        for text in [
            format!("{set:?}"),
            format!("{set:#?}"),
            format!("{:?}", set.profile("a").unwrap()),
        ] {
            for secret in ["s3cr3t", "tok3n", "old-tok3n", "tok-sub"] {
                assert!(!text.contains(secret), "{secret} leaked in {text}");
            }
            assert!(text.contains("<redacted>"));
            assert!(text.contains("AKIDEXAMPLE"));
            assert!(text.contains("eu-west-1"));
        }
        // Redaction is only in Debug: the values themselves are intact.
        let a = set.profile("a").unwrap();
        assert_eq!(a.get("aws_secret_access_key"), Some("s3cr3t"));
    }

    #[test]
    fn profile_names_are_sorted() {
        let set = parse(
            "[profile zeta]\n[default]\n[profile Alpha]\n[profile beta]",
            "[mid]\n",
        )
        .unwrap();
        assert_eq!(
            set.profile_names(),
            ["Alpha", "beta", "default", "mid", "zeta"]
        );
    }

    #[test]
    fn get_is_case_insensitive_and_sub_properties_are_exposed() {
        let set = parse(
            "[profile a]\nRegion = eu\nservices = dev\n[services dev]\ns3 =\n  endpoint_url = http://localhost:9000\n[sso-session corp]\nsso_region = us-east-1",
            "",
        )
        .unwrap();
        let a = set.profile("a").unwrap();
        assert_eq!(a.get("REGION"), Some("eu"));
        assert_eq!(a.keys().collect::<Vec<_>>(), ["region", "services"]);
        assert_eq!(a.sub_properties("region"), None);
        let dev = set.services(a.get("services").unwrap()).unwrap();
        let s3 = dev.sub_properties("s3").unwrap();
        assert_eq!(s3["endpoint_url"], "http://localhost:9000");
        assert_eq!(
            set.sso_session("corp").unwrap().get("sso_region"),
            Some("us-east-1")
        );
        assert_eq!(set.sso_session_names(), ["corp"]);
        assert_eq!(set.services_names(), ["dev"]);
    }

    #[test]
    fn missing_files_load_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let locations = Locations {
            config: dir.path().join("config"),
            credentials: dir.path().join("nope/credentials"),
        };
        let set = ProfileSet::load(&locations).unwrap();
        assert!(set.profile_names().is_empty());
    }

    #[test]
    fn load_reads_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let locations = Locations {
            config: dir.path().join("config"),
            credentials: dir.path().join("credentials"),
        };
        std::fs::write(&locations.config, "[profile a]\nregion = eu\n").unwrap();
        std::fs::write(&locations.credentials, "[a]\nregion = us\n").unwrap();
        let set = ProfileSet::load(&locations).unwrap();
        assert_eq!(set.profile("a").unwrap().get("region"), Some("us"));
    }

    #[test]
    fn key_file_names_the_file_a_value_came_from() {
        let set = parse(
            "[profile a]\nregion = eu\nrole_arn = r\n[default]\nregion = us",
            "[a]\nregion = us\naws_access_key_id = AKIDEXAMPLE",
        )
        .unwrap();
        let config = Path::new("/home/u/.aws/config");
        let credentials = Path::new("/home/u/.aws/credentials");
        // The credentials file is merged over the config file, key by key.
        assert_eq!(set.key_file("a", "region"), Some(credentials));
        assert_eq!(set.key_file("a", "ROLE_ARN"), Some(config));
        assert_eq!(set.key_file("a", "aws_access_key_id"), Some(credentials));
        assert_eq!(set.key_file("default", "region"), Some(config));
        assert_eq!(set.key_file("a", "mfa_serial"), None);
        assert_eq!(set.key_file("nope", "region"), None);
        assert_eq!(set.config_path(), config);
        assert_eq!(set.credentials_path(), credentials);
        assert_eq!(set.profile_files("a"), [config, credentials]);
        assert_eq!(set.profile_files("default"), [config]);
        assert!(set.profile_files("nope").is_empty());
        let set = parse("", "[empty]").unwrap();
        assert_eq!(set.profile_files("empty"), [credentials]);
    }

    #[test]
    fn unreadable_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: exists, but cannot be read as text.
        let locations = Locations {
            config: dir.path().to_path_buf(),
            credentials: PathBuf::from("/nonexistent/credentials"),
        };
        let err = ProfileSet::load(&locations).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with(&format!("could not read {}", dir.path().display())),
            "{message}"
        );
    }
}
