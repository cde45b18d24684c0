#!/usr/bin/env python3
"""Writes a fresh cached IAM Identity Center token for scripts/bench's SSO refresh row (8).

    sso_token.py CACHE_DIR SESSION START_URL SERIAL

Writes CACHE_DIR/<sha1 of SESSION>.json, the AWS CLI's format (what `aws sso login` and
`awsdo login` write): an access token with 10 minutes left (under the 15-minute refresh
window of both awsdo and botocore, past botocore's 10-minute mandatory mark), the fake's
client registration (bench/sso.py), valid for a day, and a refresh token never used before
(`bench-refresh-SERIAL`), since each refresh spends the one it presents.
"""

import datetime
import hashlib
import json
import os
import sys

cache, session, start_url, serial = sys.argv[1:5]
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def at(delta):
    return (now + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


os.makedirs(cache, mode=0o700, exist_ok=True)
path = os.path.join(cache, hashlib.sha1(session.encode()).hexdigest() + ".json")
with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
    json.dump({
        "startUrl": start_url,
        "region": "us-east-1",
        "accessToken": f"bench-stale-access-{serial}",
        "expiresAt": at(datetime.timedelta(minutes=10)),
        "clientId": "bench-client",
        "clientSecret": "bench-client-secret",
        "registrationExpiresAt": at(datetime.timedelta(days=1)),
        "refreshToken": f"bench-refresh-{serial}",
    }, f)
