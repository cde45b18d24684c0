//! HTTP/1.1 for the fakes of AWS endpoints: a server and a one-shot client on hyper (the HTTP
//! stack the AWS SDK for Rust itself uses), with plain request and response values so a fake is
//! a function `&Request -> Response`.
//!
//! The server listens on 127.0.0.1:0, logs every request, runs the handler on tokio's blocking
//! pool (a handler may sleep or wait), and stops on Drop, closing its open connections. hyper
//! does the protocol: keep-alive, `Content-Length` and chunked request bodies, `Expect:
//! 100-continue`. Every accepted socket has `TCP_NODELAY`, and hyper writes the head and the
//! body of an answer in one vectored write: no Nagle/delayed-ACK stall on a kept-alive
//! connection (issue 15.1).
//!
//! A response can be delayed (`Response::with_delay`, for timeout tests) or replaced by closing
//! the connection without an answer (`Response::hang_up`, for connection-failure tests).

use std::collections::BTreeMap;
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// Upper bound on a request or response body (the fakes' are a few kB).
const MAX_BODY: usize = 16 << 20;

/// The client's deadline for a whole exchange.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// One request as the server received it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent: `/federation/credentials?role_name=R&account_id=A`.
    pub path: String,
    /// Header names in lower case (compare them with `header`, which ignores case).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of that name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The query string decoded into a map (empty when there is none).
    pub fn query(&self) -> BTreeMap<String, String> {
        match self.path.split_once('?') {
            Some((_, q)) => parse_form(q),
            None => BTreeMap::new(),
        }
    }
}

/// A response to send, or (from `send`) a response received.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sleep this long before answering.
    pub delay: Option<Duration>,
    /// Close the connection without writing anything.
    pub hang_up: bool,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
            hang_up: false,
        }
    }

    pub fn text(status: u16, body: &str) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(body)
    }

    pub fn json(status: u16, body: &str) -> Response {
        Response::new(status)
            .with_header("Content-Type", "application/json")
            .with_body(body)
    }

    pub fn xml(status: u16, body: &str) -> Response {
        Response::new(status)
            .with_header("Content-Type", "text/xml")
            .with_body(body)
    }

    /// Close the connection without answering.
    pub fn hang_up() -> Response {
        Response {
            hang_up: true,
            ..Response::new(0)
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Response {
        self.delay = Some(delay);
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync + 'static;

/// A running server; stops (and closes its open connections) on Drop.
pub struct HttpServer {
    port: u16,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (stop, stopped) = oneshot::channel();
        let rt = runtime();
        let thread = {
            let log = log.clone();
            thread::spawn(move || {
                rt.block_on(serve(listener, handler, log, stopped));
                // Drops every connection task (closing its socket) without waiting for
                // handlers still sleeping on the blocking pool.
                rt.shutdown_background();
            })
        };
        HttpServer {
            port,
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived; false on timeout.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log.lock().unwrap().len() >= n {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Accepts connections until `stopped` fires; one task per connection.
async fn serve(
    listener: TcpListener,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Request>>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        // Answers go out at once, not after the client's delayed ACK (issue 15.1).
        let _ = stream.set_nodelay(true);
        let (handler, log) = (handler.clone(), log.clone());
        let service =
            hyper::service::service_fn(move |req| answer(req, handler.clone(), log.clone()));
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service),
        );
    }
}

/// A `Response::hang_up`: the service fails, and hyper closes the connection unanswered.
#[derive(Debug)]
struct HangUp;

impl std::fmt::Display for HangUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hang up")
    }
}

impl std::error::Error for HangUp {}

async fn answer(
    req: hyper::Request<Incoming>,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Request>>>,
) -> Result<hyper::Response<Full<Bytes>>, HangUp> {
    let (parts, body) = req.into_parts();
    let body = http_body_util::Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|_| HangUp)?
        .to_bytes();
    let req = Request {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
        headers: headers(&parts.headers),
        body: body.to_vec(),
    };
    log.lock().unwrap().push(req.clone());
    let resp = tokio::task::spawn_blocking(move || handler(&req))
        .await
        .map_err(|_| HangUp)?;
    if let Some(d) = resp.delay {
        tokio::time::sleep(d).await;
    }
    if resp.hang_up {
        return Err(HangUp);
    }
    let mut out = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        // hyper frames the body and manages the connection itself.
        if !["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h))
        {
            out = out.header(k, v);
        }
    }
    Ok(out
        .body(Full::new(Bytes::from(resp.body)))
        .expect("valid response head"))
}

fn headers(map: &hyper::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A one-shot HTTP/1.1 client: sends one request on a new connection and reads the whole
/// response (at most 60 s). `base` is `http://HOST:PORT`; `path` includes the query. A `Host`
/// header is added unless given. A connection closed without an answer is `UnexpectedEof`.
pub fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<Response> {
    let hostport = base
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "only http:// URLs"))?
        .trim_end_matches('/')
        .to_string();
    let mut req = hyper::Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header("Host", &hostport);
    }
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let req = req
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(io::Error::other)?;
    let exchange = async move {
        let stream = tokio::net::TcpStream::connect(&hostport).await?;
        stream.set_nodelay(true)?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(hyper_error)?;
        tokio::spawn(conn);
        let resp = sender.send_request(req).await.map_err(hyper_error)?;
        let (parts, body) = resp.into_parts();
        let body = http_body_util::Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(io::Error::other)?
            .to_bytes();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: self::headers(&parts.headers),
            body: body.to_vec(),
            delay: None,
            hang_up: false,
        })
    };
    runtime().block_on(async {
        tokio::time::timeout(CLIENT_TIMEOUT, exchange)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    })
}

fn hyper_error(e: hyper::Error) -> io::Error {
    let kind = if e.is_incomplete_message() {
        io::ErrorKind::UnexpectedEof
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, e)
}

/// `GET base+path`.
pub fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    send(base, "GET", path, &headers, b"")
}

/// `POST base/` with an `application/x-www-form-urlencoded` body.
pub fn post_form(base: &str, body: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
    let mut all = vec![(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded; charset=utf-8".to_string(),
    )];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    send(base, "POST", "/", &all, body.as_bytes())
}

/// Decodes `a=1&b=x%20y+z` (form bodies and query strings) into a map; a repeated key keeps
/// its last value.
pub fn parse_form(s: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

/// Builds `k=v&k2=v2`, encoded as `application/x-www-form-urlencoded` (a space is `+`).
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
