//! The system's TLS roots, found where rustls-native-certs (the SDK's loader) finds them, read
//! once per certificate: the HTTPS half of the connector trusts these plus the CA bundle.
//!
//! Where: `SSL_CERT_FILE` and `SSL_CERT_DIR` (a `:`-separated list) when either is set, and
//! then only those; otherwise the platform's bundle and certificate directories as
//! openssl-probe finds them (Debian: `/etc/ssl/certs/ca-certificates.crt` and `/etc/ssl/certs`).
//! Every regular file of a directory is read, whatever its name, so a CA added to the hashed
//! directory by hand is trusted, as rustls-native-certs trusts it.
//!
//! A store that is one bundle file and no directory (`SSL_CERT_FILE` alone) is left to the
//! SDK's loader: the SDK takes certificates only as PEM, which it decodes itself, so reading
//! the file here first would only add work. With a directory (the platform's default), awsdo
//! reads the store and hands the SDK one PEM of what it kept. What differs from the SDK's
//! loader is the work, not the result: a file reached twice (the
//! directory's hash-named links, and the bundle, which the directory holds too) is read once;
//! a certificate already seen (the directory's files repeat the bundle) is recognised by its
//! PEM text and not decoded again; the rest are decoded with a plain base64 decoder (these are
//! public certificates, not keys, so the constant-time one buys nothing) and each is checked
//! once as a trust anchor. A certificate that cannot be one, a file that cannot be read or a
//! PEM block that is not base64 is skipped (named in the debug log), never an error: the system
//! store is read as the SDK reads it, and the handshake says when nothing trusts the endpoint.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use base64::Engine;
use rustls_pki_types::CertificateDer;

use super::errors::{io_reason, one_line};
use super::transport::CaBundle;
use crate::env::Env;

/// Where the system's roots are, from the run's environment; see the module's doc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemStore {
    /// `SSL_CERT_FILE`, when set (even to a file that does not exist: then no file is read).
    pub file: Option<PathBuf>,
    /// `SSL_CERT_DIR`'s directories, empty ones left out.
    pub dirs: Vec<PathBuf>,
}

/// The certificates of the system store that can be trust anchors, as one PEM text.
#[derive(Debug, Default)]
pub struct Roots {
    /// `-----BEGIN CERTIFICATE-----` blocks, each a distinct DER certificate that parses as a
    /// trust anchor (so the SDK, which panics on one that does not, can take them all).
    pub pem: Vec<u8>,
    /// How many blocks `pem` holds.
    pub count: usize,
    /// Blocks skipped: not base64, or not a certificate that can be a trust anchor.
    pub skipped: usize,
}

impl SystemStore {
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` from `env`, read as rustls-native-certs reads them.
    pub fn from_env(env: &Env) -> SystemStore {
        SystemStore {
            file: env.var("SSL_CERT_FILE").map(PathBuf::from),
            dirs: env
                .var("SSL_CERT_DIR")
                .map(|v| {
                    std::env::split_paths(&v)
                        .filter(|p| !p.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The bundle file and directories to read: the variables' when either is set, else the
    /// platform's (openssl-probe's candidates that exist).
    fn locations(&self) -> (Option<PathBuf>, Vec<PathBuf>) {
        if self.file.is_some() || !self.dirs.is_empty() {
            return (self.file.clone(), self.dirs.clone());
        }
        let found = openssl_probe::probe();
        (found.cert_file, found.cert_dir)
    }

    /// The store's certificates that can be trust anchors, each once; `None` when the store
    /// is one bundle file and no directory: the SDK's loader then reads it (its PEM decoding
    /// of the certificates it is handed is the cost either way, so reading the file here
    /// would only add to it).
    pub fn load(&self) -> Option<Roots> {
        let (file, dirs) = self.locations();
        if dirs.is_empty() {
            crate::log::debug(&format!(
                "trusting the system root certificates of {}",
                file.as_deref()
                    .map_or("no bundle file".to_owned(), |f| f.display().to_string())
            ));
            return None;
        }
        Some(load(file.as_deref(), &dirs))
    }
}

/// The certificates of `file`, then of every regular file of `dirs`.
fn load(file: Option<&Path>, dirs: &[PathBuf]) -> Roots {
    let mut loader = Loader::default();
    if let Some(file) = file {
        match std::fs::metadata(file) {
            Ok(meta) if meta.is_file() => {
                loader.first_visit(&meta);
                loader.file(file);
            }
            Ok(_) => skip(file, "not a regular file"),
            Err(e) => skip(file, &e.to_string()),
        }
    }
    for dir in dirs {
        loader.dir(dir);
    }
    crate::log::debug(&format!(
        "trusting {} system root certificates ({} skipped) from {}{}",
        loader.roots.count,
        loader.roots.skipped,
        file.map_or("no bundle file".to_owned(), |f| f.display().to_string()),
        dirs.iter()
            .map(|d| format!(" and {}", d.display()))
            .collect::<String>()
    ));
    loader.roots
}

/// The largest PEM file awsdo reads, a CA bundle or a file of the system store, in bytes
/// (16 MiB; the whole Mozilla store is ~220 KiB); a larger file of the system store is skipped.
pub const MAX_CA_BUNDLE: u64 = 16 * 1024 * 1024;

/// The bundle's PEM certificates, checked: a missing, unreadable, oversized or non-PEM file, or
/// one with a certificate that cannot be a trust anchor, is a one-line error naming it.
pub fn read_ca_bundle(bundle: &CaBundle) -> anyhow::Result<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let name = format!("{} ({})", bundle.path.display(), bundle.origin);
    let fail = |why: String| anyhow::anyhow!("could not read the CA bundle {name}: {why}");
    // Only a regular file, opened without blocking: a FIFO would wait for a writer.
    let pem = crate::files::read_regular(&bundle.path, MAX_CA_BUNDLE).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::InvalidInput if e.to_string() == "a directory" => {
                "it is a directory, not a PEM file".to_owned()
            }
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => e.to_string(),
            _ => io_reason(&e),
        })
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not a PEM file ({})", one_line(&e.to_string()))))?;
    if certs.is_empty() {
        return Err(fail(
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| fail(format!("certificate {} is not usable: {e}", i + 1)))?;
    }
    Ok(pem)
}

/// The trust of a run's HTTPS calls: the system store, read on the first HTTPS dial (so a
/// plain-HTTP run reads none of it), plus the CA bundle's certificates (read and checked when
/// the run's HTTP client was made). Clones share the one context.
#[derive(Debug, Clone)]
pub(super) struct Trust {
    system: SystemStore,
    bundle: Option<Vec<u8>>,
    context: Arc<OnceLock<TlsContext>>,
}

impl Trust {
    /// The system store at `system`, plus `bundle` (PEM certificates that all parse as trust
    /// anchors: `read_ca_bundle`'s answer).
    pub(super) fn new(system: SystemStore, bundle: Option<Vec<u8>>) -> Trust {
        Trust {
            system,
            bundle,
            context: Arc::new(OnceLock::new()),
        }
    }

    /// The TLS context for the rustls connector, the system store read on the first call.
    /// Errors (with the SDK's reason) only if the SDK refuses the context.
    pub(super) fn context(&self) -> Result<TlsContext, String> {
        if let Some(c) = self.context.get() {
            return Ok(c.clone());
        }
        let mut store = match self.system.load() {
            // Only a bundle file: the SDK reads it (rustls-native-certs, the same places).
            None => TrustStore::default(),
            Some(roots) => {
                let mut store = TrustStore::empty().with_native_roots(false);
                if roots.count > 0 {
                    store.add_pem_certificate(roots.pem);
                }
                store
            }
        };
        if let Some(bundle) = &self.bundle {
            store.add_pem_certificate(bundle.clone());
        }
        let context = TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(self.context.get_or_init(|| context).clone())
    }
}

#[derive(Default)]
struct Loader {
    roots: Roots,
    /// (device, inode) of every file read.
    files: HashSet<(u64, u64)>,
    /// Every block seen, usable or not.
    seen: HashSet<Block>,
}

impl Loader {
    /// Whether the file of `meta` is met for the first time.
    fn first_visit(&mut self, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.files.insert((meta.dev(), meta.ino()))
    }

    /// Every regular file of `dir`, following links, each file once.
    fn dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return skip(dir, &e.to_string()),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() && self.first_visit(&meta) => self.file(&path),
                // A dangling link, a subdirectory, a file already read.
                _ => {}
            }
        }
    }

    /// The certificates of one PEM file (read as every small file is: regular files only,
    /// without blocking, capped).
    fn file(&mut self, path: &Path) {
        match crate::files::read_regular(path, MAX_CA_BUNDLE) {
            Ok(text) => self.pem(&text, path),
            Err(e) => skip(path, &e.to_string()),
        }
    }

    /// The `CERTIFICATE` blocks of `text` (one pass over its lines): each new one decoded,
    /// checked, and kept if usable.
    fn pem(&mut self, text: &[u8], path: &Path) {
        let mut block: Option<Vec<u8>> = None;
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', text).chain([text.len()]);
        for end in ends {
            let line = text.get(start..end).unwrap_or_default().trim_ascii();
            start = end + 1;
            if line.starts_with(BEGIN) {
                if block.is_some() {
                    self.roots.skipped += 1;
                    skip(path, "a certificate without its END line");
                }
                block = Some(Vec::with_capacity(2048));
            } else if line.starts_with(END) {
                if let Some(b64) = block.take() {
                    self.block(Block(b64), path);
                }
            } else if let Some(b64) = &mut block {
                b64.extend_from_slice(line);
            }
        }
        if block.is_some() {
            self.roots.skipped += 1;
            skip(path, "a certificate without its END line");
        }
    }

    /// One block's base64 text: kept if new and usable. The text is canonical base64 (the
    /// decoder insists), so it is the one encoding of the DER checked here, which the SDK's
    /// decoder reads again.
    fn block(&mut self, b64: Block, path: &Path) {
        if self.seen.contains(&b64) {
            return;
        }
        match usable(&b64.0) {
            Some(()) => {
                let pem = &mut self.roots.pem;
                pem.extend_from_slice(BEGIN);
                pem.push(b'\n');
                for line in b64.0.chunks(64) {
                    pem.extend_from_slice(line);
                    pem.push(b'\n');
                }
                pem.extend_from_slice(END);
                pem.push(b'\n');
                self.roots.count += 1;
            }
            None => {
                self.roots.skipped += 1;
                skip(path, "a certificate that cannot be a trust anchor");
            }
        }
        self.seen.insert(b64);
    }
}

const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
const END: &[u8] = b"-----END CERTIFICATE-----";

/// A PEM block's base64 text, whitespace removed. Hashed by its length and last 16 bytes (the
/// end of the signature, which differs between certificates), so a lookup does not hash two
/// kilobytes; equal only when all of the text is.
#[derive(PartialEq, Eq)]
struct Block(Vec<u8>);

impl std::hash::Hash for Block {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let tail = self
            .0
            .get(self.0.len().saturating_sub(16)..)
            .unwrap_or_default();
        (self.0.len(), tail).hash(h);
    }
}

/// `Some` when `b64` is canonical base64 (padded, no stray bits) of a certificate that parses
/// as a trust anchor: what the SDK's `RootCertStore::add` needs of each one it is handed.
fn usable(b64: &[u8]) -> Option<()> {
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    rustls::RootCertStore::empty()
        .add(CertificateDer::from(der.as_slice()))
        .ok()
}

fn skip(path: &Path, why: &str) {
    crate::log::debug(&format!(
        "skipping in the system TLS store: {}: {why}",
        path.display()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::net::TEST_CA as CA;

    /// Base64 of 32 bytes that are not a certificate.
    const NOT_A_CERT: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n-----END CERTIFICATE-----\n";

    fn store(file: Option<PathBuf>, dirs: &[&Path]) -> Roots {
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
        load(file.as_deref(), &dirs)
    }

    #[test]
    fn each_certificate_counts_once_and_what_cannot_be_an_anchor_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("bundle.crt");
        // A bundle with a non-certificate, a block that is not base64, and the CA twice (once
        // with other line breaks).
        let rewrapped = CA.replace('\n', "\r\n");
        std::fs::write(
            &bundle,
            format!("{NOT_A_CERT}-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n{CA}{rewrapped}"),
        )
        .unwrap();
        // The directory: the bundle itself (read once), the CA again, a hash-named link to
        // it, a dangling link, a subdirectory.
        let dir = tmp.path().join("certs");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::os::unix::fs::symlink(&bundle, dir.join("bundle.crt")).unwrap();
        std::fs::write(dir.join("ca.pem"), CA).unwrap();
        std::os::unix::fs::symlink("ca.pem", dir.join("1a2b3c4d.0")).unwrap();
        std::os::unix::fs::symlink("gone.pem", dir.join("dangling.pem")).unwrap();
        let roots = store(Some(bundle), &[&dir]);
        assert_eq!((roots.count, roots.skipped), (1, 2));
        // What the SDK is handed parses, every certificate, as it parses it (it panics
        // otherwise).
        use rustls_pki_types::pem::PemObject;
        let mut anchors = rustls::RootCertStore::empty();
        let ders: Vec<_> = CertificateDer::pem_slice_iter(&roots.pem)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ders.len(), 1);
        for der in ders {
            anchors.add(der).unwrap();
        }
        assert_eq!(anchors.len(), 1);
    }

    #[test]
    fn a_ca_only_in_a_directory_is_read_and_a_missing_file_is_no_error() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("certs");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("corporate.0"), CA).unwrap();
        let missing = tmp.path().join("missing.crt");
        assert_eq!(store(Some(missing.clone()), &[&dir]).count, 1);
        assert_eq!(store(Some(missing), &[]).count, 0);
        assert_eq!(store(None, &[&tmp.path().join("none")]).count, 0);
    }

    #[test]
    fn the_variables_choose_the_store_as_rustls_native_certs_reads_them() {
        let env = Env::from_pairs([("SSL_CERT_FILE", "/f.pem"), ("SSL_CERT_DIR", "/a::/b")]);
        let s = SystemStore::from_env(&env);
        assert_eq!(s.file, Some(PathBuf::from("/f.pem")));
        assert_eq!(s.dirs, [PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(s.locations(), (s.file.clone(), s.dirs.clone()));
        // Neither set: the platform's, never nothing when the platform has a store.
        let s = SystemStore::from_env(&Env::from_pairs([("SSL_CERT_DIR", "")]));
        assert_eq!(s, SystemStore::default());
        let (file, dirs) = s.locations();
        let probed = openssl_probe::probe();
        assert_eq!((file, dirs), (probed.cert_file, probed.cert_dir));
    }
}
