#!/usr/bin/env python3
"""A fake IAM Identity Center for scripts/bench's SSO token refresh row (8): the two calls a
silent refresh makes, and nothing else.

    sso.py LISTEN_PORT LOG_FILE

Serves, on 127.0.0.1:LISTEN_PORT, both services (point AWS_ENDPOINT_URL_SSO_OIDC and
AWS_ENDPOINT_URL_SSO at it):

- SSO-OIDC CreateToken with the refresh-token grant: `POST /token`, a JSON body with
  clientId, clientSecret, grantType `refresh_token` and refreshToken. The client must be
  `bench-client` / `bench-client-secret`; the refresh token one of those the bench writes
  (`bench-refresh-…`) or one this fake issued, each accepted once (a refresh rotates it, as
  the real service does). Answers accessToken, tokenType, expiresIn (3600) and a new
  refreshToken.
- The portal's GetRoleCredentials: `GET /federation/credentials?role_name=R&account_id=A`
  with the header `x-amz-sso_bearer_token` holding a token this fake issued. Answers
  `{"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (ms)}}`.

Anything else gets the services' JSON error (400 InvalidGrantException, 401
UnauthorizedException, 404). Every request appends `OPERATION<TAB>0` to LOG_FILE
(CreateToken, GetRoleCredentials, or `-` with the status for a refused one), the format of
bench/proxy.py's log, so the bench counts calls per run. Fake keys only; loopback only; ends
when killed. Answers leave in one write with TCP_NODELAY (no Nagle stall, issue 15.1).
"""

import itertools
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN, LOG = int(sys.argv[1]), sys.argv[2]
CLIENT, SECRET = "bench-client", "bench-client-secret"
lock = threading.Lock()
serial = itertools.count(1)
used_refresh = set()  # refresh tokens already spent
issued_refresh = set()
issued_access = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, op, status, doc, error_type=None):
        with lock, open(LOG, "a") as log:
            log.write(f"{op if status == 200 else '-'}\t0\n")
        body = json.dumps(doc).encode()
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}",
                "Content-Type: application/json", f"Content-Length: {len(body)}"]
        if error_type:
            head.append(f"x-amzn-ErrorType: {error_type}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), 65536)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            req = {}
        if urllib.parse.urlsplit(self.path).path != "/token":
            return self.answer("-", 404, {"message": "not in the fake"}, "NotFoundException")
        refresh = req.get("refreshToken", "")
        with lock:
            fresh = (refresh.startswith("bench-refresh-") or refresh in issued_refresh) \
                and refresh not in used_refresh
            good = (req.get("clientId") == CLIENT and req.get("clientSecret") == SECRET
                    and req.get("grantType") == "refresh_token" and fresh)
            if good:
                used_refresh.add(refresh)
                n = next(serial)
                access, new_refresh = f"bench-access-{n}", f"bench-rotated-refresh-{n}"
                issued_access.add(access)
                issued_refresh.add(new_refresh)
        if not good:
            return self.answer("-", 400, {"error": "invalid_grant"}, "InvalidGrantException")
        self.answer("CreateToken", 200, {"accessToken": access, "tokenType": "Bearer",
                                         "expiresIn": 3600, "refreshToken": new_refresh})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path != "/federation/credentials" or not q.get("role_name") \
                or not q.get("account_id"):
            return self.answer("-", 404, {"message": "not in the fake"}, "NotFoundException")
        with lock:
            known = self.headers.get("x-amz-sso_bearer_token", "") in issued_access
        if not known:
            return self.answer("-", 401, {"message": "unknown token"}, "UnauthorizedException")
        n = next(serial)
        self.answer("GetRoleCredentials", 200, {"roleCredentials": {
            "accessKeyId": f"ASIABENCHSSO{n:08d}",
            "secretAccessKey": "bench-fake-sso-secret-00000000000000000000",
            "sessionToken": f"bench-fake-sso-session-token-{n}",
            "expiration": int((time.time() + 3600) * 1000),
        }})


class Server(ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.1", LISTEN), Handler).serve_forever()
