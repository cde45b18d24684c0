//! The line grammar of one shared config or credentials file, turned into raw sections.
//!
//! This layer only knows lines: section headers, properties, continuations, sub-properties and
//! comments. It classifies each header by what the file kind allows and drops invalid names, but
//! merging (duplicates, `[default]` against `[profile default]`, credentials over config) is left
//! to `profiles.rs`. Syntax is checked in every section, even one that will be ignored, so whether
//! a file is malformed never depends on the names in it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow};

/// Which of the two files is being read: they name their sections differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FileKind {
    /// `~/.aws/config`: `[default]`, `[profile NAME]`, `[sso-session NAME]`, `[services NAME]`.
    Config,
    /// `~/.aws/credentials`: `[NAME]` only.
    Credentials,
}

/// What a section header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SectionKind {
    /// `[profile NAME]` in the config file, `[NAME]` in the credentials file.
    Profile,
    /// `[default]` in the config file: yields to any `[profile default]` in the same file.
    BareDefault,
    /// `[sso-session NAME]` in the config file.
    SsoSession,
    /// `[services NAME]` in the config file.
    Services,
    /// Anything else (a bad name, an unknown or wrong-file header): its properties are dropped.
    Ignored,
}

/// One property: its value as written, plus parsed sub-properties when it introduces a block.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Property {
    /// The value; for a sub-property block, the block's lines each preceded by `\n`, as the
    /// SDKs report it.
    pub value: String,
    /// Set when the property's own line had an empty value and continuation lines followed.
    pub sub_properties: Option<BTreeMap<String, String>>,
}

/// One section header and the properties under it, in file order (duplicates kept).
pub(super) struct RawSection {
    pub kind: SectionKind,
    pub name: String,
    pub properties: Vec<(String, Property)>,
}

/// The property continuation lines attach to.
struct Current {
    /// Index into the last section's properties; `None` when the property's name was invalid,
    /// so its continuations are checked but dropped.
    index: Option<usize>,
    /// The property's own value was empty, so continuation lines are `name = value` pairs.
    sub_block: bool,
}

const WHITESPACE: [char; 3] = [' ', '\t', '\r'];

/// Parse one file's text; `path` only serves error messages.
pub(super) fn parse_file(text: &str, path: &Path, kind: FileKind) -> Result<Vec<RawSection>> {
    // Windows editors may save UTF-8 with a byte-order mark; it is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<RawSection> = Vec::new();
    let mut current: Option<Current> = None;
    for (index, line) in text.lines().enumerate() {
        parse_line(line, kind, &mut sections, &mut current).map_err(|message| {
            // The line itself is left out: in the credentials file it may hold a secret.
            anyhow!(
                "could not parse {} line {}: {message}",
                path.display(),
                index + 1
            )
        })?;
    }
    Ok(sections)
}

/// Apply one line to the sections read so far; `Err` is the reason the line is malformed.
fn parse_line(
    line: &str,
    kind: FileKind,
    sections: &mut Vec<RawSection>,
    current: &mut Option<Current>,
) -> Result<(), &'static str> {
    let trimmed = line.trim_matches(WHITESPACE);
    // A line that is only a comment is skipped even when indented (as the AWS CLI does), so
    // commenting out one line of a sub-property block does not break the block.
    if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
        return Ok(());
    }
    if line.starts_with('[') {
        let (kind, name) =
            parse_header(line, kind).ok_or("Profile definition must end with ']'")?;
        sections.push(RawSection {
            kind,
            name,
            properties: Vec::new(),
        });
        // A continuation right after a header has nothing to continue.
        *current = None;
        return Ok(());
    }
    let section = sections
        .last_mut()
        .ok_or("Expected a profile definition before any property")?;
    if line.starts_with([' ', '\t']) {
        let current = current
            .as_ref()
            .ok_or("Expected a property definition, found continuation")?;
        continue_property(trimmed, section, current)
    } else {
        *current = Some(start_property(trimmed, section)?);
        Ok(())
    }
}

/// Read a `name = value` line into `section`; returns what its continuations attach to.
fn start_property(line: &str, section: &mut RawSection) -> Result<Current, &'static str> {
    let (name, value) = strip_inline_comment(line)
        .split_once('=')
        .ok_or("Expected an '=' sign defining a property")?;
    let name = name.trim_matches(WHITESPACE);
    if name.is_empty() {
        return Err("Property did not have a name");
    }
    let value = value.trim_matches(WHITESPACE);
    // An invalid name is dropped, but its continuations must still be recognised as such.
    let index = valid_name(name).then(|| {
        // Property names are case-insensitive: `Name` and `name` are one property.
        let property = Property {
            value: value.to_string(),
            sub_properties: None,
        };
        section
            .properties
            .push((name.to_ascii_lowercase(), property));
        section.properties.len() - 1
    });
    Ok(Current {
        index,
        sub_block: value.is_empty(),
    })
}

/// Append an indented line (already trimmed) to the current property.
fn continue_property(
    line: &str,
    section: &mut RawSection,
    current: &Current,
) -> Result<(), &'static str> {
    let mut sub_property = None;
    if current.sub_block {
        let (name, value) = line
            .split_once('=')
            .ok_or("Expected an '=' sign defining a sub-property")?;
        let name = name.trim_matches(WHITESPACE);
        if name.is_empty() {
            return Err("Sub-property did not have a name");
        }
        // Sub-property names are not validated: the conformance cases accept any.
        sub_property = Some((
            name.to_ascii_lowercase(),
            value.trim_matches(WHITESPACE).to_string(),
        ));
    }
    if let Some(index) = current.index {
        let property = &mut section.properties[index].1;
        // Continuations keep comment characters: only a property's first line has comments.
        property.value.push('\n');
        property.value.push_str(line);
        if let Some((name, value)) = sub_property {
            property
                .sub_properties
                .get_or_insert_with(BTreeMap::new)
                .insert(name, value);
        }
    }
    Ok(())
}

/// Classify a `[...]` line; `None` if it does not end with `]` (after any comment).
fn parse_header(line: &str, kind: FileKind) -> Option<(SectionKind, String)> {
    // A comment may follow the `]` with or without a space; neither character is valid in a
    // name, so cutting at the first one never shortens a legal header.
    let line = line
        .split(['#', ';'])
        .next()
        .unwrap_or_default()
        .trim_matches(WHITESPACE);
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner.trim_matches(WHITESPACE);
    let named = |section: SectionKind, name: &str| {
        let name = name.trim_matches(WHITESPACE);
        if valid_name(name) {
            (section, name.to_string())
        } else {
            (SectionKind::Ignored, name.to_string())
        }
    };
    Some(match kind {
        FileKind::Credentials => named(SectionKind::Profile, inner),
        FileKind::Config if inner == "default" => (SectionKind::BareDefault, inner.to_string()),
        FileKind::Config => {
            // The keyword must be followed by whitespace: `[profilefoo]` is not a profile.
            let prefixed = |prefix: &str| {
                inner
                    .strip_prefix(prefix)
                    .filter(|rest| rest.starts_with([' ', '\t']))
            };
            if let Some(name) = prefixed("profile") {
                named(SectionKind::Profile, name)
            } else if let Some(name) = prefixed("sso-session") {
                named(SectionKind::SsoSession, name)
            } else if let Some(name) = prefixed("services") {
                named(SectionKind::Services, name)
            } else {
                (SectionKind::Ignored, inner.to_string())
            }
        }
    })
}

/// Cut a property line at a `#` or `;` that follows whitespace; one glued to the value is part
/// of it (`key = pa$$;word` keeps its `;`).
fn strip_inline_comment(line: &str) -> &str {
    let mut previous_is_space = false;
    for (i, c) in line.char_indices() {
        if previous_is_space && (c == '#' || c == ';') {
            return &line[..i];
        }
        previous_is_space = c == ' ' || c == '\t';
    }
    line
}

/// Profile, section and property names: ASCII letters, digits and `-_/.%@:+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_/.%@:+".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<RawSection> {
        parse_file(text, Path::new("/c"), FileKind::Config).unwrap()
    }

    #[test]
    fn sub_properties_are_parsed_and_kept_as_text() {
        let sections =
            parse("[services dev]\ns3 =\n  Endpoint_URL = http://x\n  # off = 1\n  region = eu");
        assert_eq!(sections[0].kind, SectionKind::Services);
        let (key, property) = &sections[0].properties[0];
        assert_eq!(key, "s3");
        assert_eq!(property.value, "\nEndpoint_URL = http://x\nregion = eu");
        let sub = property.sub_properties.as_ref().unwrap();
        assert_eq!(
            sub.get("endpoint_url").map(String::as_str),
            Some("http://x")
        );
        assert_eq!(sub.get("region").map(String::as_str), Some("eu"));
        assert_eq!(sub.len(), 2);
    }

    #[test]
    fn plain_continuations_have_no_sub_properties() {
        let sections = parse("[profile a]\nx = 1\n  more");
        assert_eq!(sections[0].properties[0].1.sub_properties, None);
    }

    #[test]
    fn syntax_is_checked_inside_ignored_sections() {
        let Err(err) = parse_file("[nope]\nbroken", Path::new("/c"), FileKind::Config) else {
            panic!("a line without '=' must fail");
        };
        assert!(err.to_string().contains("line 2"));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let sections = parse("\u{feff}[default]\nregion = eu");
        assert_eq!(sections[0].kind, SectionKind::BareDefault);
    }

    #[test]
    fn inline_comment_needs_whitespace_before_it() {
        assert_eq!(strip_inline_comment("k = a;b ;c"), "k = a;b ");
        assert_eq!(strip_inline_comment("k = a\t#c"), "k = a\t");
    }
}
