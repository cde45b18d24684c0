#!/usr/bin/env python3
"""A call-counting HTTP proxy in front of moto, for scripts/bench.

    proxy.py LISTEN_PORT UPSTREAM_PORT LOG_FILE [TLS_PORT CERT_FILE KEY_FILE]

Forwards every request to 127.0.0.1:UPSTREAM_PORT and appends one line per request to
LOG_FILE: `ACTION<TAB>UPSTREAM_SECONDS<TAB>SCHEME`, where ACTION is the form's or query's
`Action` (e.g. AssumeRole), UPSTREAM_SECONDS the time from sending the request to moto until
its whole answer was read, and SCHEME `http` or `https` (the port the client used). The benchmark counts STS calls from this log (independently of what
the client says it did) and subtracts the upstream time from a client's wall time to get
the client's own overhead. Loopback only; ends when killed.

With TLS_PORT it also listens there with TLS (Python's ssl module, the PEM certificate chain
CERT_FILE and its key KEY_FILE; scripts/bench makes them with a private CA), forwarding and
logging the same way: the HTTPS cold path. Each TLS connection's handshake runs in its own
thread, so it is part of the connection's time, which the bench counts as the client's.

No Nagle/delayed-ACK stall on either leg (issue 15.1): the client's socket has TCP_NODELAY
and every answer leaves in one write; moto (which writes head and body separately) gets a
fresh connection per request, whose first answer the kernel acknowledges at once.
"""

import http.client
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def action_of(path, body):
    for raw in (urllib.parse.urlsplit(path).query, body.decode("latin-1")):
        values = urllib.parse.parse_qs(raw).get("Action")
        if values:
            return values[0]
    return "-"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY on the client's connection

    scheme = "http"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        took = time.perf_counter() - started
        with lock, open(LOG, "a") as log:
            log.write(f"{action_of(self.path, body)}\t{took:.6f}\t{self.scheme}\n")
        head = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                head.append(f"{k}: {v}")
        head.append(f"Content-Length: {len(data)}")
        # Head and body in one write.
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


class TlsHandler(Handler):
    scheme = "https"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class TlsServer(Server):
    """Accepts plain TCP; the handshake happens in the connection's thread (not in accept)."""

    def __init__(self, addr, handler, context):
        super().__init__(addr, handler)
        self.context = context

    def finish_request(self, request, client_address):
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.context.wrap_socket(request, server_side=True) as tls:
            TlsHandler(tls, client_address, self)


if __name__ == "__main__":
    if len(sys.argv) > 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[5], sys.argv[6])
        tls = TlsServer(("127.0.0.1", int(sys.argv[4])), Handler, context)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
    Server(("127.0.0.1", LISTEN), Handler).serve_forever()
