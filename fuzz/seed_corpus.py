#!/usr/bin/env python3
"""Seed fuzz/corpus/ from the SDK conformance cases and from well-formed cache entries.

config_parse inputs are `config NUL credentials`, so every case of
tests/conformance/profile-parser-tests.json becomes one seed. cache_read gets a valid profile
entry (the shape awsdo writes) and a few near misses. Run from the repository root or fuzz/.
"""
import hashlib
import json
import os
import pathlib

root = pathlib.Path(__file__).resolve().parent
repo = root.parent


def put(target, data):
    d = root / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


cases = json.loads((repo / "tests/conformance/profile-parser-tests.json").read_text())["tests"]
for case in cases:
    inp = case["input"]
    cfg = inp.get("configFile", "")
    cred = inp.get("credentialsFile", "")
    put("config_parse", (cfg + "\0" + cred).encode())
put("config_parse", b"[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
    b"[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n")
put("config_parse", b"[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = k\n"
    b"mfa_serial = arn:aws:iam::1:mfa/u\nmfa_process = echo 123456\nduration_seconds = 7200\n"
    b"[sso-session s]\nsso_start_url = https://x\nsso_region = us-east-1\n"
    b"[profile s]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n"
    b"\0[k]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake-secret\n")

entry = {
    "version": 1,
    "key": "0123456789abcdef",
    "profile": "prod",
    "region": "eu-west-1",
    "credentials": {
        "AccessKeyId": "ASIAFAKE",
        "SecretAccessKey": "fake-secret",
        "SessionToken": "fake-token",
        "Expiration": "2026-11-28T19:00:00Z",
    },
    "mfa": True,
}
good = json.dumps(entry, indent=2).encode()
put("cache_read", good)
put("cache_read", good[: len(good) // 2])
put("cache_read", good.replace(b"2026-11-28T19:00:00Z", b"9999-12-31T23:59:60+23:59"))
put("cache_read", good.replace(b"2026-11-28T19:00:00Z", b"0000-01-01T00:00:00-23:59"))
# Absurd times (issue 10.3): each must be a miss or a usable entry, never a panic.
for exp in ["9999-12-31T23:59:59-00:01", "9999-12-31T23:59:59Z", "-9999-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
            "2026-11-28T19:00:00.999999999999Z"]:
    put("cache_read", good.replace(b"2026-11-28T19:00:00Z", exp.encode()))
for skew in [2**63 - 1, -2**63, 2**64 - 1, 10**30, -10**30, "1e308", "-1e308", "null", "\"9\""]:
    for exp in ["2026-11-28T19:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00+23:59"]:
        e = dict(entry)
        e["credentials"] = dict(entry["credentials"], Expiration=exp)
        text = json.dumps(e).replace('"mfa": true', '"mfa": true, "clock_skew": %s' % skew)
        put("cache_read", text.encode())
put("cache_read", json.dumps({"version": 1, "mfa_serial": "arn:aws:iam::1:mfa/u",
                              "credentials": entry["credentials"], "clock_skew": 2**63 - 1,
                              "profiles": ["ops", "base"]}).encode())
put("cache_read", json.dumps({"version": 1, "access_key_id": "AKIAFAKE", "user_arn": None,
                              "devices": ["arn:aws:iam::1:mfa/u"], "chosen": None}).encode())
# sts_answer: `DATE \n OP BODY` (OP: 0 AssumeRole, 1 GetSessionToken, 2 web identity,
# 3 GetFederationToken, 4 sso:GetRoleCredentials).
NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def sts_body(action, key="ASIAFAKE", secret="fake-secret", token="fake-token",
             expiration="2026-11-28T19:00:00Z"):
    creds = (f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}"
             f"</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{expiration}"
             f"</Expiration></Credentials>")
    return (f'<{action}Response xmlns="{NS}"><{action}Result>{creds}</{action}Result>'
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>").encode()


def sts_seed(date, op, body):
    put("sts_answer", date.encode() + b"\n" + bytes([op]) + body)


now = "Sun, 29 Nov 2026 23:00:00 GMT"
actions = ["AssumeRole", "GetSessionToken", "AssumeRoleWithWebIdentity", "GetFederationToken"]
for op, action in enumerate(actions):
    sts_seed(now, op, sts_body(action))
    sts_seed("Fri, 31 Dec 9999 23:59:59 GMT", op, sts_body(action))
    sts_seed(now, op, sts_body(action, key="", secret="", token=""))
    sts_seed(now, op, sts_body(action, expiration="9999-12-31T23:59:59Z"))
    sts_seed(now, op, sts_body(action, expiration="99999999999999999999"))
sts_seed("Mon, 01 Jan 0001 00:00:00 GMT", 0, sts_body("AssumeRole"))
sts_seed("not a date", 1, sts_body("GetSessionToken", expiration="1e300"))
for exp in [1795000000000, 0, -1, 9223372036854775807, -9223372036854775808, 1e30]:
    role = {"roleCredentials": {"accessKeyId": "ASIAFAKE", "secretAccessKey": "fake-secret",
                                "sessionToken": "fake-token", "expiration": exp}}
    sts_seed(now, 4, json.dumps(role).encode())
sts_seed(now, 4, json.dumps({"roleCredentials": {"accessKeyId": "", "secretAccessKey": "",
                                                 "sessionToken": "",
                                                 "expiration": 1795000000000}}).encode())
print("seeded", root / "corpus")
