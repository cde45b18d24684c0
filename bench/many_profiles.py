#!/usr/bin/env python3
"""A 1,000-profile AWS config for scripts/bench (issue 15.4: status, completion, explain).

    many_profiles.py CONFIG_FILE [COUNT]

Writes COUNT (default 1000) profiles in the mix a large organisation's generated config has:
per 10 profiles, 6 roles assumed from one base profile (2 of them with an MFA device), 2
roles chained from another role, and 2 IAM Identity Center profiles on one of 4
`sso-session` sections. Every profile has a region; the base profile's static keys are in the
credentials file scripts/bench already writes (`bench-base`). Names are `org-NNNN`.
"""

import sys

path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
out = ["[profile bench-base]", "region = us-east-1", ""]
for s in range(4):
    out += [
        f"[sso-session corp{s}]",
        f"sso_start_url = https://corp{s}.awsapps.com/start",
        "sso_region = us-east-1",
        "sso_registration_scopes = sso:account:access",
        "",
    ]
for i in range(count):
    name, account = f"org-{i:04d}", f"{100000000000 + i:012d}"
    out.append(f"[profile {name}]")
    kind = i % 10
    if kind < 6:
        out += [f"role_arn = arn:aws:iam::{account}:role/Admin", "source_profile = bench-base"]
        if kind < 2:
            out.append("mfa_serial = arn:aws:iam::123456789012:mfa/bench")
    elif kind < 8:
        out += [f"role_arn = arn:aws:iam::{account}:role/ReadOnly",
                f"source_profile = org-{i - kind:04d}"]
    else:
        out += [f"sso_session = corp{i % 4}", f"sso_account_id = {account}",
                "sso_role_name = Developer"]
    out += [f"region = {('us-east-1', 'eu-west-1', 'ap-southeast-2')[i % 3]}", ""]
with open(path, "w") as f:
    f.write("\n".join(out))
