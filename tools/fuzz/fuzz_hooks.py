"""Schemathesis hooks of scripts/fuzz.sh: the access policy as a check.

`policy_enforced` knows who the run calls as (FUZZ_CALLER: anonymous, app, security or
sysadmin; FUZZ_SCOPES: the scopes of an app's token) and reads what each operation needs from its
`security` in the OpenAPI document, which is generated from the server's one policy table:
  - `[{}]`: public;
  - `[{"oauth2": [scope]}, {"session": []}]`: an app holding the scope, or an administrator whose
    role holds it (sysadmin: every scope; security: every `:read`);
  - `[{"session": []}]`: administrators only; the operations of the tags `settings`, `oauth-apps`
    and `admins` are for sysadmins only.
A caller the policy refuses must get 401 (no credentials) or 403 (credentials that do not allow
it), never an answer with data; a caller it allows must not get 401 or 403.
"""

import json
import os

import schemathesis

CALLER = os.environ.get("FUZZ_CALLER", "")
SCOPES = set(os.environ.get("FUZZ_SCOPES", "").split())
SYSADMIN_TAGS = {"settings", "oauth-apps", "admins"}


def allowed(operation):
    """True, False, or None for a public operation."""
    raw = operation.definition.raw
    security = raw.get("security")
    if not security or security == [{}]:
        return None
    scopes = [s for requirement in security for s in requirement.get("oauth2", [])]
    admins_only = not scopes
    sysadmin_only = admins_only and bool(SYSADMIN_TAGS & set(raw.get("tags", [])))
    if CALLER == "anonymous":
        return False
    if CALLER == "sysadmin":
        return True
    if CALLER == "security":
        return not sysadmin_only and all(s.endswith(":read") for s in scopes)
    if CALLER == "app":
        return not admins_only and all(s in SCOPES for s in scopes)
    raise RuntimeError(f"FUZZ_CALLER is {CALLER!r}")


@schemathesis.check
def policy_enforced(ctx, response, case):
    # Probes with another method (unsupported_method) answer 405 before any access check.
    if case.method.upper() != case.operation.method.upper():
        return None
    may = allowed(case.operation)
    status = response.status_code
    if may is None:
        return None
    # A path parameter that matches no route (an empty id) answers 404 before any access check.
    if status == 404 and "no resource at" in response.text:
        return None
    if may:
        if status in (401, 403):
            raise AssertionError(f"{CALLER} may call this operation but got {status}: {response.text[:300]}")
    else:
        expected = 401 if CALLER == "anonymous" else 403
        if status != expected:
            raise AssertionError(f"{CALLER} may not call this operation: expected {expected}, got {status}")
    return None


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """An ingest batch as NDJSON: one record a line (anything else as one JSON line)."""
    records = value if isinstance(value, list) else [value]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


@schemathesis.serializer("video/webm")
def webm(ctx, value):
    """The media upload: whatever was generated, as bytes (the server checks the WebM header)."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode()
