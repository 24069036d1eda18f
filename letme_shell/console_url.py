"""AWS console sign-in through the federation endpoint: temporary credentials → sign-in token → login URL.

The exchange (documented by AWS for custom identity brokers):
1. GET <federation>?Action=getSigninToken&Session=<JSON of sessionId/sessionKey/sessionToken>
   answers {"SigninToken": "..."};
2. <federation>?Action=login&Issuer=letme&Destination=<console URL>&SigninToken=<token> signs the browser in.

Only the first request carries the credentials; it goes straight to the endpoint
(HTTPS in every real partition) and is never printed or logged. The login URL
holds the sign-in token only. Stdlib only (urllib): no boto3 here.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from letme_shell import validate
from letme_shell.credentials import Credentials
from letme_shell.errors import LetmeError

ENV_VAR = "LETME_FEDERATION_URL"
ISSUER = "letme"
TIMEOUT = 10.0
# partition → (federation endpoint, console host suffix)
PARTITIONS = {
    "aws": ("https://signin.aws.amazon.com/federation", "console.aws.amazon.com"),
    "aws-cn": ("https://signin.amazonaws.cn/federation", "console.amazonaws.cn"),
    "aws-us-gov": ("https://signin.amazonaws-us-gov.com/federation", "console.amazonaws-us-gov.com"),
}


def partition_of(role_arn: str | None, region: str) -> str:
    """The partition of the account's role (authoritative), else guessed from the region name."""
    if role_arn and role_arn.startswith("arn:"):
        name = role_arn.split(":")[1]
        if name in PARTITIONS:
            return name
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def federation_endpoint(partition: str, configured: str | None = None) -> str:
    """LETME_FEDERATION_URL, else the config's federation_url, else the partition's endpoint."""
    source, chosen = (ENV_VAR, os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else ("federation_url", configured)
    if chosen:
        if not chosen.startswith(("http://", "https://")):
            raise LetmeError(f"{source} {validate.printable(chosen)} is not an http(s) URL",
                             "e.g. https://signin.aws.amazon.com/federation")
        if not chosen.isprintable() or any(ch.isspace() for ch in chosen):
            # http.client would refuse it later, quoting the whole request URL: the credentials with it.
            raise LetmeError(f"{source} {validate.printable(chosen)} contains a control character or a space",
                             "remove it (a stray \\r comes with a file saved with Windows line endings)")
        return chosen
    if partition not in PARTITIONS:
        raise LetmeError(f"no known console sign-in endpoint for the partition '{validate.printable(partition)}'",
                         f"set federation_url in the config or {ENV_VAR}")
    return PARTITIONS[partition][0]


def destination(partition: str, region: str) -> str:
    host = PARTITIONS.get(partition, PARTITIONS["aws"])[1]
    return f"https://{region}.{host}/console/home?region={region}"


def _with_query(endpoint: str, params: dict[str, str]) -> str:
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urllib.parse.urlencode(params)


def signin_token(endpoint: str, creds: Credentials, timeout: float = TIMEOUT) -> str:
    session = json.dumps({"sessionId": creds.access_key_id, "sessionKey": creds.secret_access_key,
                          "sessionToken": creds.session_token})
    request = urllib.request.Request(_with_query(endpoint, {"Action": "getSigninToken", "Session": session}),
                                     headers={"Accept": "application/json", "User-Agent": "letme"})
    # Errors name the endpoint without its query, and never the exception's text: both may hold the
    # credentials (http.client's InvalidURL quotes the whole request URL).
    shown = validate.printable(endpoint, 200)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise LetmeError(f"the sign-in endpoint {shown} refused the credentials (HTTP {exc.code})",
                         "the role may not allow console sign-in, or the credentials expired: "
                         "try 'letme obtain ACCOUNT --renew'") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LetmeError(f"cannot reach the sign-in endpoint {shown}: {validate.printable(str(reason))}",
                         f"check the network, or set federation_url / {ENV_VAR}") from None
    except (http.client.HTTPException, ValueError) as exc:
        raise LetmeError(f"the sign-in endpoint {shown} could not be asked ({type(exc).__name__})",
                         f"check federation_url / {ENV_VAR}") from None
    try:
        token = json.loads(body)["SigninToken"]
    except (ValueError, KeyError, TypeError):
        raise LetmeError(f"the sign-in endpoint {shown} did not answer with a SigninToken") from None
    if not isinstance(token, str) or not token:
        raise LetmeError(f"the sign-in endpoint {shown} answered an empty SigninToken")
    return token


def login_url(endpoint: str, token: str, partition: str, region: str) -> str:
    return _with_query(endpoint, {"Action": "login", "Issuer": ISSUER,
                                  "Destination": destination(partition, region), "SigninToken": token})
