//! SDK and I/O errors as one line: what failed and why, and the typed errors callers branch on.

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::transport::MAX_BODY;
use crate::error::{MfaRejected, SourceExpired};

/// One line for an SDK error: what failed and why, with the typed errors callers branch on.
pub(super) fn describe<E, R>(what: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or("").trim();
            if code == "AccessDenied" && message.contains("MultiFactorAuthentication") {
                return MfaRejected.into();
            }
            if code == "ExpiredToken" || code == "ExpiredTokenException" {
                return SourceExpired.into();
            }
            let msg = if message.is_empty() {
                code.to_owned()
            } else {
                format!("{code}: {message}")
            };
            anyhow::anyhow!("could not {what}: {}", one_line(&msg))
        }
        SdkError::TimeoutError(_) => anyhow::anyhow!("could not {what}: timed out"),
        SdkError::DispatchFailure(d) => {
            let why = if d.is_timeout() {
                "timed out connecting".to_owned()
            } else if d.is_io() {
                format!("could not connect ({})", io_reason(&err))
            } else {
                io_reason(&err)
            };
            anyhow::anyhow!("could not {what}: {why}")
        }
        _ => anyhow::anyhow!("could not {what}: {}", io_reason(&err)),
    }
}

/// The innermost cause of an error, on one line; a body over the cap and a certificate the
/// roots do not trust are said in words that name the limit and the fix.
pub(super) fn io_reason(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = err;
    loop {
        if cur.is::<http_body_util::LengthLimitError>() {
            return format!(
                "the answer is larger than {} MiB, awsdo's limit for a response",
                MAX_BODY / 1024 / 1024
            );
        }
        match cur.source() {
            Some(next) => cur = next,
            None => break,
        }
    }
    let reason = one_line(&cur.to_string());
    if reason.contains("invalid peer certificate") {
        return format!(
            "{reason}; if a TLS-inspecting proxy or a private CA signs the endpoint's certificate, set AWS_CA_BUNDLE (or ca_bundle in the profile) to its CA's PEM file"
        );
    }
    reason
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
