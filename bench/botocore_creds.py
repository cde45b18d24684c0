#!/usr/bin/env python3
"""The reference "Python helper" for scripts/bench: what every botocore-based tool pays to
turn a role profile into credentials.

    python3 botocore_creds.py PROFILE     # prints `export AWS_...=...` lines for eval

Exactly what the AWS CLI (v1 and v2) does for an assume-role profile: a botocore session
for the profile whose assume-role provider caches in the CLI's JSON file cache,
~/.aws/cli/cache (awscli/customizations/assumerole.py). With a warm cache this makes no
STS call: it starts Python, imports botocore, reads the config, finds the cache entry and
prints. That whole process is what the benchmark times.
"""

import os
import sys

import botocore.session
from botocore.credentials import JSONFileCache

CACHE_DIR = os.path.expanduser(os.path.join("~", ".aws", "cli", "cache"))


def main(profile):
    session = botocore.session.Session(profile=profile)
    resolver = session.get_component("credential_provider")
    for name in ("assume-role", "assume-role-with-web-identity"):
        provider = resolver.get_provider(name)
        provider.cache = JSONFileCache(CACHE_DIR)
    creds = session.get_credentials().get_frozen_credentials()
    out = [
        f"export AWS_ACCESS_KEY_ID='{creds.access_key}'",
        f"export AWS_SECRET_ACCESS_KEY='{creds.secret_key}'",
    ]
    if creds.token:
        out.append(f"export AWS_SESSION_TOKEN='{creds.token}'")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
