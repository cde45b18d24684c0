//! The loopback listener of the PKCE sign-in (RFC 8252 §7.3): bound to 127.0.0.1 only, on a
//! port the system picks, it answers the browser's redirect to `/oauth/callback` and closes
//! after the one code whose `state` matches this sign-in.
//!
//! Anything else that reaches it (another path, another method, a wrong or missing `state`,
//! an oversized or slow request) gets a short error page and is otherwise ignored, so a local
//! process cannot end or steer the sign-in. Every read has a deadline and a size cap; the
//! whole wait has a deadline.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The redirect path (the AWS CLI's).
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// The most bytes read of one request (its head; the redirect is a GET without a body).
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request.
const REQUEST_WAIT: Duration = Duration::from_secs(5);
/// How often the listener looks for a connection.
const POLL: Duration = Duration::from_millis(50);

/// Why no code came.
#[derive(Debug, PartialEq, Eq)]
pub enum WaitError {
    /// The redirect carried an `error` (for example `access_denied`) and the right state.
    Denied(String),
    /// No code before the deadline.
    TimedOut,
    /// The listener failed.
    Io(String),
}

/// A listener on 127.0.0.1; closed when dropped.
pub struct Listener {
    inner: TcpListener,
    port: u16,
}

impl Listener {
    /// Listen on 127.0.0.1 at a port the system picks.
    pub fn bind() -> anyhow::Result<Listener> {
        let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| {
            anyhow::anyhow!("could not listen on 127.0.0.1 for the sign-in redirect: {e}")
        })?;
        let port = inner
            .local_addr()
            .map_err(|e| anyhow::anyhow!("could not listen on 127.0.0.1: {e}"))?
            .port();
        inner
            .set_nonblocking(true)
            .map_err(|e| anyhow::anyhow!("could not listen on 127.0.0.1: {e}"))?;
        Ok(Listener { inner, port })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Wait at most `wait` for the redirect that carries `state`, and return its code. The
    /// listener is closed on return (it is consumed).
    pub fn wait_for_code(self, state: &str, wait: Duration) -> Result<String, WaitError> {
        let until = Instant::now() + wait;
        loop {
            match self.inner.accept() {
                Ok((stream, _)) => {
                    if let Some(done) = serve(stream, state) {
                        return done;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WaitError::Io(format!("the loopback listener failed: {e}"))),
            }
            if Instant::now() >= until {
                return Err(WaitError::TimedOut);
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Answer one connection; `Some` when it ended the sign-in (a code or a denial with the right
/// state).
fn serve(mut stream: TcpStream, state: &str) -> Option<Result<String, WaitError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(REQUEST_WAIT));
    let _ = stream.set_write_timeout(Some(REQUEST_WAIT));
    let Some(target) = read_target(&mut stream) else {
        respond(&mut stream, 400, "Bad request.");
        return None;
    };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    if path != CALLBACK_PATH {
        respond(&mut stream, 404, "Not found.");
        return None;
    }
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "code" => code = Some(v.into_owned()),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    if !got_state.is_some_and(|s| same(s.as_bytes(), state.as_bytes())) {
        respond(
            &mut stream,
            400,
            "This sign-in link is not the one awsdo is waiting for.",
        );
        return None;
    }
    if let Some(e) = error {
        respond(
            &mut stream,
            200,
            "The sign-in was not completed. You can close this tab.",
        );
        return Some(Err(WaitError::Denied(crate::escape::escape_short(&e, 100))));
    }
    match code {
        Some(c) if !c.is_empty() => {
            respond(
                &mut stream,
                200,
                "Signed in. You can close this tab and return to the terminal.",
            );
            Some(Ok(c))
        }
        _ => {
            respond(&mut stream, 400, "The redirect carried no code.");
            None
        }
    }
}

/// The request target of a `GET` request (`/oauth/callback?code=…`); `None` for anything else,
/// a request larger than the cap, or one that does not arrive in time.
fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let until = Instant::now() + REQUEST_WAIT;
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_REQUEST || Instant::now() >= until {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = std::str::from_utf8(&buf).ok()?;
    let mut parts = head.lines().next()?.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}

fn respond(stream: &mut TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>awsdo</title></head><body><p>awsdo: {text}</p></body></html>\n"
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

/// Equality that takes as long for every difference (a local process cannot learn the state
/// byte by byte from timings).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn only_the_redirect_with_the_right_state_ends_the_wait_and_the_port_closes() {
        let l = Listener::bind().unwrap();
        let port = l.port;
        assert!(l.redirect_uri().starts_with("http://127.0.0.1:"));
        let t = std::thread::spawn(move || l.wait_for_code("s1", Duration::from_secs(30)));
        assert!(get(port, "/favicon.ico").starts_with("HTTP/1.1 404"));
        assert!(get(port, "/oauth/callback?code=evil&state=other").starts_with("HTTP/1.1 400"));
        assert!(get(port, "/oauth/callback?error=access_denied").starts_with("HTTP/1.1 400"));
        assert!(get(port, "/oauth/callback?code=good&state=s1").starts_with("HTTP/1.1 200"));
        assert_eq!(t.join().unwrap(), Ok("good".to_owned()));
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn a_denial_with_the_right_state_ends_it_and_silence_times_out() {
        let l = Listener::bind().unwrap();
        let port = l.port;
        let t = std::thread::spawn(move || l.wait_for_code("s2", Duration::from_secs(30)));
        get(port, "/oauth/callback?error=access_denied&state=s2");
        assert_eq!(
            t.join().unwrap(),
            Err(WaitError::Denied("access_denied".to_owned()))
        );
        let l = Listener::bind().unwrap();
        assert_eq!(
            l.wait_for_code("s3", Duration::from_millis(100)),
            Err(WaitError::TimedOut)
        );
    }
}
