//! One request to the credential endpoint: read it (bounded in size and time), decide, answer.
//!
//! Only `GET` of the endpoint's path, with exactly one `Authorization` header equal to the
//! token and a `Host` of `127.0.0.1:PORT` or `localhost:PORT`, is answered with credentials.
//! Anything else gets the same bare 403: no body, no hint of which check failed. The `Host`
//! check refuses DNS rebinding (a web page whose name resolves to 127.0.0.1 sends its own name
//! as `Host`); the token and path are compared in constant time (`subtle`), so their bytes
//! cannot be found one at a time by timing answers.
//!
//! Requests are parsed by `httparse`; the head may be [`MAX_HEAD`] bytes at most and must
//! arrive within [`READ_DEADLINE`]. Every answer closes the connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

/// The most a request head may hold: 8 KiB (the SDKs send a few hundred bytes). A longer
/// head is refused with 403.
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head: 2 seconds (the SDKs send it at once;
/// a slower client holds a connection slot and is cut off).
pub const READ_DEADLINE: Duration = Duration::from_secs(2);
/// How long writing an answer may take.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(2);
/// The most headers a request may carry; more is refused (403).
const MAX_HEADERS: usize = 32;

/// What the endpoint accepts: its path, its token and its port. `Debug` hides the secrets.
pub struct Gate {
    /// The request target, `/` followed by random hex.
    pub path: String,
    /// The value the `Authorization` header must hold.
    pub token: String,
    /// The listening port, part of the two accepted `Host` values.
    pub port: u16,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The verdict on one request head.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A well-formed, authorised `GET` of the path.
    Allowed,
    /// Anything else, including a head that is malformed or too long.
    Forbidden,
    /// The head is not complete yet (read more).
    Partial,
}

/// The bare refusal: same bytes for every reason.
pub const FORBIDDEN: &[u8] =
    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

impl Gate {
    /// Judge the bytes of a request head received so far.
    pub fn check(&self, head: &[u8]) -> Verdict {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => return Verdict::Partial,
            _ => return Verdict::Forbidden,
        }
        if req.method != Some("GET") {
            return Verdict::Forbidden;
        }
        let path_ok: bool = req
            .path
            .map(|p| p.as_bytes().ct_eq(self.path.as_bytes()).into())
            .unwrap_or(false);
        let mut auth = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("authorization"));
        let token_ok: bool = match (auth.next(), auth.next()) {
            (Some(h), None) => h.value.ct_eq(self.token.as_bytes()).into(),
            _ => false,
        };
        let mut host = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("host"));
        let host_ok = match (host.next(), host.next()) {
            (Some(h), None) => self.host_ok(h.value),
            _ => false,
        };
        // A body (or a promise of one) has no place in a GET of credentials.
        let body = req.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case("transfer-encoding")
                || (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
        });
        if path_ok & token_ok & host_ok & !body {
            Verdict::Allowed
        } else {
            Verdict::Forbidden
        }
    }

    /// `127.0.0.1:PORT` or `localhost:PORT` (the name case-insensitively, as DNS names are).
    fn host_ok(&self, value: &[u8]) -> bool {
        let Ok(value) = std::str::from_utf8(value) else {
            return false;
        };
        let Some((name, port)) = value.rsplit_once(':') else {
            return false;
        };
        (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
            && port == self.port.to_string()
    }
}

/// Read one request head from `stream` (at most [`MAX_HEAD`] bytes, within [`READ_DEADLINE`])
/// and judge it. A client that is too slow, sends too much or hangs up is [`Verdict::Forbidden`].
pub fn read_and_check(gate: &Gate, stream: &mut TcpStream) -> Verdict {
    let started = Instant::now();
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let Some(left) = READ_DEADLINE.checked_sub(started.elapsed()) else {
            return Verdict::Forbidden;
        };
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Verdict::Forbidden;
        }
        let room = MAX_HEAD.saturating_sub(head.len()).min(buf.len());
        let n = match stream.read(&mut buf[..room.max(1)]) {
            Ok(0) | Err(_) => return Verdict::Forbidden,
            Ok(n) => n,
        };
        head.extend_from_slice(&buf[..n]);
        match gate.check(&head) {
            Verdict::Partial => continue,
            v => return v,
        }
    }
}

/// A complete answer with a JSON body.
pub fn json_answer(status: u16, reason: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Write `answer` and close, within [`WRITE_DEADLINE`]; a failure only drops the connection.
pub fn send(stream: &mut TcpStream, answer: &[u8]) {
    let _ = stream.set_write_timeout(Some(WRITE_DEADLINE));
    let _ = stream.write_all(answer).and_then(|()| stream.flush());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn gate() -> Gate {
        Gate {
            path: "/c0ffee".into(),
            token: TOKEN.into(),
            port: 4242,
        }
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut s = format!("{method} {path} HTTP/1.1\r\n");
        for (k, v) in headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn only_the_exact_get_is_allowed() {
        let g = gate();
        let ok = [("Host", "127.0.0.1:4242"), ("Authorization", TOKEN)];
        assert_eq!(g.check(&req("GET", "/c0ffee", &ok)), Verdict::Allowed);
        let local = [("host", "LocalHost:4242"), ("authorization", TOKEN)];
        assert_eq!(g.check(&req("GET", "/c0ffee", &local)), Verdict::Allowed);
        let short = &TOKEN[..TOKEN.len() - 1];
        let long = format!("{TOKEN}0");
        let wrong = TOKEN.replace('0', "1");
        let cases: Vec<(&str, &str, Vec<(&str, &str)>)> = vec![
            ("POST", "/c0ffee", ok.to_vec()),
            ("HEAD", "/c0ffee", ok.to_vec()),
            ("GET", "/c0ffe", ok.to_vec()),
            ("GET", "/c0ffee?x=1", ok.to_vec()),
            ("GET", "/C0FFEE", ok.to_vec()),
            ("GET", "/c0ffee", vec![("Host", "127.0.0.1:4242")]),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1:4242"), ("Authorization", "")],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1:4242"), ("Authorization", short)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1:4242"), ("Authorization", &long)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1:4242"), ("Authorization", &wrong)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![
                    ("Host", "127.0.0.1:4242"),
                    ("Authorization", TOKEN),
                    ("Authorization", TOKEN),
                ],
            ),
            ("GET", "/c0ffee", vec![("Authorization", TOKEN)]),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "evil.example:4242"), ("Authorization", TOKEN)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1"), ("Authorization", TOKEN)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "127.0.0.1:80"), ("Authorization", TOKEN)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![("Host", "[::1]:4242"), ("Authorization", TOKEN)],
            ),
            (
                "GET",
                "/c0ffee",
                vec![
                    ("Host", "127.0.0.1:4242"),
                    ("Authorization", TOKEN),
                    ("Content-Length", "5"),
                ],
            ),
        ];
        for (m, p, h) in cases {
            assert_eq!(g.check(&req(m, p, &h)), Verdict::Forbidden, "{m} {p} {h:?}");
        }
    }

    #[test]
    fn partial_heads_wait_and_oversized_or_garbage_heads_are_refused() {
        let g = gate();
        assert_eq!(
            g.check(b"GET /c0ffee HTTP/1.1\r\nHost: 127"),
            Verdict::Partial
        );
        let mut big = b"GET /c0ffee HTTP/1.1\r\nX: ".to_vec();
        big.resize(MAX_HEAD, b'a');
        assert_eq!(g.check(&big), Verdict::Forbidden);
        assert_eq!(g.check(b"\x16\x03\x01\x02\x00"), Verdict::Forbidden);
        let mut many = String::from("GET /c0ffee HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            many.push_str(&format!("X-{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(g.check(many.as_bytes()), Verdict::Forbidden);
    }

    #[test]
    fn debug_hides_token_and_path() {
        let shown = format!("{:?}", gate());
        assert!(
            !shown.contains(TOKEN) && !shown.contains("c0ffee"),
            "{shown}"
        );
    }
}
