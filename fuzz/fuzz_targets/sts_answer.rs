//! Fuzz awsdo's handling of an answer from STS (or IAM Identity Center): a `Date` header and a
//! body go through the real SDK client (its deserializer and awsdo's clock-skew interceptor)
//! over an in-memory HTTP client, then through awsdo's conversion and checks. Whatever the
//! answer, awsdo must give credentials or a one-line error, never panic; credentials it accepts
//! have non-empty keys and a bounded expiry, and the clock skew it records is bounded.
//!
//! Input: `DATE \n OP BODY`, where OP's low bits pick the call (AssumeRole, GetSessionToken,
//! AssumeRoleWithWebIdentity, GetFederationToken, sso:GetRoleCredentials) and BODY is the
//! answer's body (XML, or JSON for SSO), served with HTTP 200.
#![no_main]

use std::time::Duration;

use awsdo::creds::Credentials;
use awsdo::net::{AssumeRole, Endpoints, MAX_CLOCK_SKEW, MAX_EXPIRY_AHEAD, Net};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use libfuzzer_sys::fuzz_target;

/// An HTTP client that answers every request with the same status, `Date` header and body.
#[derive(Debug, Clone)]
struct Canned {
    date: String,
    content_type: &'static str,
    body: Vec<u8>,
}

impl HttpConnector for Canned {
    fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
        let mut resp = Response::new(
            StatusCode::try_from(200u16).unwrap(),
            SdkBody::from(self.body.clone()),
        );
        let _ = resp.headers_mut().try_insert("date", self.date.clone());
        let _ = resp.headers_mut().try_insert("content-type", self.content_type);
        HttpConnectorFuture::ready(Ok(resp))
    }
}

impl HttpClient for Canned {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn check(got: &anyhow::Result<Credentials>) {
    match got {
        Ok(c) => {
            assert!(!c.access_key_id.is_empty() && !c.secret_access_key.is_empty());
            assert!(c.session_token.as_deref().is_some_and(|t| !t.is_empty()));
            let exp = c.expiration.expect("an accepted answer has an expiry");
            let now = time::OffsetDateTime::now_utc();
            // One second of slack for the time the call took.
            assert!(exp <= now + MAX_EXPIRY_AHEAD + Duration::from_secs(1));
            let _ = c.expiration_rfc3339();
            let _ = format!("{c:?}");
        }
        Err(e) => {
            let line = format!("{e:#}");
            assert!(!line.contains('\n'), "{line}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (date, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let date = String::from_utf8_lossy(date).into_owned();
    let (op, body) = rest.split_first().map_or((0, &[][..]), |(op, b)| (*op, b));
    let _ = awsdo::net::skew_from_date(&date, time::OffsetDateTime::now_utc());

    let sso = op % 5 == 4;
    let canned = Canned {
        date,
        content_type: if sso { "application/json" } else { "text/xml" },
        body: body.to_vec(),
    };
    let endpoints = Endpoints {
        sts: Some("http://127.0.0.1:9".to_owned()),
        iam: None,
        sso: Some("http://127.0.0.1:9".to_owned()),
    };
    let net = Net::new(endpoints, Some(Duration::from_secs(5)))
        .with_http_client(SharedHttpClient::new(canned))
        .for_profile("fuzz");
    let keys = Credentials {
        access_key_id: "AKIAFAKEFUZZ00000001".to_owned(),
        secret_access_key: "fake-secret-fuzz".to_owned(),
        session_token: None,
        expiration: None,
    };
    let got = match op % 5 {
        0 => net.assume_role(
            &keys,
            "us-east-1",
            &AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/fuzz",
                session_name: "fuzz",
                external_id: None,
                duration: None,
                mfa: None,
            },
        ),
        1 => net.get_session_token(&keys, "us-east-1", Duration::from_secs(3600), None),
        2 => net.assume_role_with_web_identity(
            "us-east-1",
            "arn:aws:iam::123456789012:role/fuzz",
            "fuzz",
            "fake-web-identity-token",
            None,
        ),
        3 => net.get_federation_token(&keys, "us-east-1", "fuzz", None),
        _ => net.sso_role_credentials("us-east-1", "fake-sso-token", "123456789012", "fuzz"),
    };
    check(&got);
    if let Some(skew) = net.clock_skew() {
        assert!(skew.abs() <= MAX_CLOCK_SKEW, "{skew}");
    }
});
