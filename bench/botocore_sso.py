#!/usr/bin/env python3
"""The reference for scripts/bench's SSO refresh row (8): botocore turning an IAM Identity
Center profile into credentials when the cached token is close to expiry.

    python3 botocore_sso.py PROFILE

A botocore session for the profile (an `sso_session` profile): its SSO credential provider
loads the cached token through SSOTokenProvider, which refreshes it with SSO-OIDC
CreateToken (refresh-token grant) because under 15 minutes are left and writes the file
back, then calls the portal's GetRoleCredentials. No role-credential cache (a plain
botocore session keeps none across processes). Prints the access key id, which the bench
checks.
"""

import sys

import botocore.session

creds = botocore.session.Session(profile=sys.argv[1]).get_credentials().get_frozen_credentials()
print(creds.access_key)
