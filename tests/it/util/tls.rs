//! TLS stand-ins for the network tests: a private CA and a leaf certificate for 127.0.0.1 and
//! localhost made with the `openssl` CLI, moto_server serving HTTPS with that leaf, a small
//! HTTPS server in Python for the endpoints moto lacks (the SSO portal, the console federation
//! endpoint), and a CONNECT proxy on loopback that counts its tunnels.
//!
//! The stand-ins are killed on Drop, and also when the test process dies: each runs under a
//! shell that kills it when its stdin (a pipe from the test) closes, as `moto.rs` does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A private CA (`ca.pem`) and a leaf it signed (`leaf.pem`, `leaf.key`) for `127.0.0.1` and
/// `localhost`, valid for two days, in `dir`.
pub struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[track_caller]
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    /// Makes the CA and the leaf; None (after `skipping: openssl not found`) when openssl is
    /// missing and not required.
    pub fn create(dir: &Path) -> Option<Pki> {
        if !super::require("openssl") {
            return None;
        }
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=awsdo test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(dir, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(dir, &csr);
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "leaf.pem",
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
            ],
        );
        Some(Pki {
            ca: dir.join("ca.pem"),
            cert: dir.join("leaf.pem"),
            key: dir.join("leaf.key"),
        })
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A server process started under a shell that kills it when the test's pipe closes.
pub struct Guarded {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    log: PathBuf,
}

impl Guarded {
    /// Runs `command` (a shell command line; `$PORT` is the port it must listen on) and waits
    /// up to 30 s until 127.0.0.1:PORT accepts connections. Panics with its log otherwise.
    pub fn start(command: &str, dir: &Path) -> Guarded {
        let port = free_port();
        let log = dir.join(format!("server-{port}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("sh")
            .args([
                "-c",
                // The server in the background; a subshell waits for EOF on our pipe (fd 3)
                // and kills it (TERM, then KILL after 3 s).
                &format!(
                    "exec 3<&0; PORT=\"$1\"; {command} </dev/null 3<&- & p=$!; \
                     (read -r _ <&3; kill \"$p\" 2>/dev/null; i=0; \
                      while kill -0 \"$p\" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; \
                      kill -9 \"$p\" 2>/dev/null) & \
                     wait \"$p\""
                ),
                "sh",
                &port.to_string(),
            ])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("spawn sh");
        let stdin = child.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Guarded {
                    child,
                    stdin,
                    port,
                    log,
                };
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{command} did not listen on 127.0.0.1:{port}; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// What the server printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server serving HTTPS with `pki`'s leaf; None when moto_server is missing and not
/// required.
pub fn moto_tls(pki: &Pki, dir: &Path) -> Option<Guarded> {
    if !super::require("moto_server") {
        return None;
    }
    Some(Guarded::start(
        &format!(
            "moto_server -H 127.0.0.1 -p \"$PORT\" -c {} -k {}",
            super::sh_quote(&pki.cert.to_string_lossy()),
            super::sh_quote(&pki.key.to_string_lossy())
        ),
        dir,
    ))
}

/// The Python HTTPS stand-in: every GET under `/federation/credentials` gets SSO role
/// credentials (`ASIAFAKEPYSSO`, valid an hour), every other GET a console sign-in token.
const HTTPS_STUB: &str = r#"
import http.server, json, ssl, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/federation/credentials"):
            body = {"roleCredentials": {"accessKeyId": "ASIAFAKEPYSSO", "secretAccessKey": "fake-secret-pysso",
                    "sessionToken": "fake-token-pysso", "expiration": int(time.time() + 3600) * 1000}}
        else:
            body = {"SigninToken": "fake-signin-token"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        sys.stderr.write("GET %s\n" % self.path.split("?")[0])
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"#;

/// An HTTPS server in Python (see `HTTPS_STUB`) with `pki`'s leaf; None when python3 is
/// missing and not required.
pub fn https_stub(pki: &Pki, dir: &Path) -> Option<Guarded> {
    if !super::require("python3") {
        return None;
    }
    let script = dir.join("https_stub.py");
    std::fs::write(&script, HTTPS_STUB).unwrap();
    Some(Guarded::start(
        &format!(
            "python3 {} \"$PORT\" {} {}",
            super::sh_quote(&script.to_string_lossy()),
            super::sh_quote(&pki.cert.to_string_lossy()),
            super::sh_quote(&pki.key.to_string_lossy())
        ),
        dir,
    ))
}

/// A CONNECT proxy on loopback: each `CONNECT host:port` opens a tunnel to that address and
/// is recorded. Anything else gets 405. Stops accepting on Drop.
pub struct ConnectProxy {
    port: u16,
    tunnels: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (log, stopped) = (tunnels.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let log = log.clone();
                thread::spawn(move || tunnel(conn, &log));
            }
        });
        ConnectProxy {
            port,
            tunnels,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The targets of the tunnels opened so far (`127.0.0.1:4443`), in order.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<String>>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut client = client;
    let mut parts = first.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    log.lock().unwrap().push(target.to_owned());
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
    // Bytes the client sent right after the CONNECT head are in the reader's buffer.
    let early = reader.buffer().to_vec();
    let mut up_w = upstream.try_clone().unwrap();
    if !early.is_empty() {
        let _ = up_w.write_all(&early);
    }
    let mut up_r = upstream;
    let mut client_w = client.try_clone().unwrap();
    let mut client_r = client;
    let _ = client_r.set_read_timeout(None);
    let down = thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(Shutdown::Write);
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        match client_r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if up_w.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = up_w.shutdown(Shutdown::Write);
    let _ = down.join();
}
