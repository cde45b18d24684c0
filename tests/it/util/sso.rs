//! A fake AWS IAM Identity Center (SSO) portal, and the token cache `aws sso login` leaves.
//!
//! The portal answers `GET /federation/credentials?role_name=R&account_id=A` carrying the
//! header `x-amz-sso_bearer_token: TOKEN` (the SDK's GetRoleCredentials) with
//! `{"roleCredentials":{"accessKeyId":…,"secretAccessKey":…,"sessionToken":…,"expiration":MILLIS}}`.
//! A missing or wrong token gets 401 `UnauthorizedException`; a role/account pair that is not
//! allowed (when an allow list is set) gets 403 `ForbiddenException`.
//! Point awsdo at it with `AWS_ENDPOINT_URL_SSO` (or `AWS_ENDPOINT_URL`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::http::{HttpServer, Request, Response};
use super::sts::Creds;
use super::{epoch_millis, iso8601};
use sha1::{Digest, Sha1};

/// Quotes a string for JSON.
pub fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The body of a GetRoleCredentials answer.
pub fn role_credentials_json(creds: &Creds, expiration: SystemTime) -> String {
    format!(
        "{{\"roleCredentials\":{{\"accessKeyId\":{},\"secretAccessKey\":{},\"sessionToken\":{},\"expiration\":{}}}}}",
        json_str(&creds.access_key_id),
        json_str(&creds.secret_access_key),
        json_str(&creds.session_token),
        epoch_millis(expiration)
    )
}

/// A restJson error as the SSO service sends it.
pub fn sso_error(status: u16, kind: &str, message: &str) -> Response {
    Response::json(status, &format!("{{\"message\":{}}}", json_str(message)))
        .with_header("x-amzn-ErrorType", kind)
}

/// A fake SSO portal. Stops on Drop.
pub struct FakeSso {
    server: HttpServer,
    allowed: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeSso {
    /// Accepts bearer token `token`; answers every account and role with fresh fake
    /// credentials (`ASIAFAKESSO…`) valid for an hour, until `allow` restricts them.
    pub fn start(token: &str) -> FakeSso {
        let token = token.to_string();
        let allowed: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
        let list = allowed.clone();
        let server = HttpServer::start(move |req: &Request| {
            if req.method != "GET" || req.path_only() != "/federation/credentials" {
                return sso_error(404, "NotFoundException", "no such operation in the fake");
            }
            if req.header("x-amz-sso_bearer_token") != Some(token.as_str()) {
                return sso_error(
                    401,
                    "UnauthorizedException",
                    "Session token not found or invalid",
                );
            }
            let q = req.query();
            let (Some(role), Some(account)) = (q.get("role_name"), q.get("account_id")) else {
                return sso_error(
                    400,
                    "InvalidRequestException",
                    "role_name and account_id are required",
                );
            };
            let list = list.lock().unwrap();
            if !list.is_empty() && !list.iter().any(|(a, r)| a == account && r == role) {
                return sso_error(403, "ForbiddenException", "No access");
            }
            let valid = Duration::from_secs(3600);
            let creds = Creds::fake("sso", valid);
            Response::json(
                200,
                &role_credentials_json(&creds, SystemTime::now() + valid),
            )
        });
        FakeSso { server, allowed }
    }

    /// Restricts the answers to these (account_id, role_name) pairs, added up over calls.
    pub fn allow(&self, account_id: &str, role_name: &str) {
        self.allowed
            .lock()
            .unwrap()
            .push((account_id.to_string(), role_name.to_string()));
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// How many GetRoleCredentials calls arrived.
    pub fn count(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path_only() == "/federation/credentials")
            .count()
    }
}

/// The cache file name for `key`: sha1 hex of the sso_session name, or of the start URL for a
/// legacy profile without sso_session.
pub fn token_file_name(key: &str) -> String {
    let hex: String = Sha1::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}.json")
}

/// Writes `HOME/.aws/sso/cache/<sha1(key)>.json` as `aws sso login` does and returns its path.
pub fn write_token(
    home: &Path,
    key: &str,
    start_url: &str,
    region: &str,
    access_token: &str,
    expires_at: SystemTime,
) -> PathBuf {
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(token_file_name(key));
    let body = format!(
        "{{\"startUrl\":{},\"region\":{},\"accessToken\":{},\"expiresAt\":{}}}",
        json_str(start_url),
        json_str(region),
        json_str(access_token),
        json_str(&iso8601(expires_at))
    );
    std::fs::write(&path, body).unwrap();
    path
}
