"""A local stand-in for the IAM Identity Center (SSO) portal API's GetRoleCredentials, in front of moto.

moto has no SSO portal API. The AWS CLI's `aws sso login` leaves an access token in
~/.aws/sso/cache/<sha1 of the sso-session name>.json; botocore then sends
`GET /federation/credentials?role_name=R&account_id=A` with the token in the
`x-amz-sso_bearer_token` header (unsigned), and the portal answers
`{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}}`,
the expiration in epoch milliseconds. Here the credentials are real ones of the local moto
(an AssumeRole of role R in account A, as a permission set's role is), so that what letme does
with them next (AssumeRole against moto) can be checked in moto's recorder. A token it did not
hand out gets the portal's 401 UnauthorizedException. It listens on 127.0.0.1 only and logs nothing.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

START_URL = "https://corp.awsapps.com/start"


def token_cache_file(home: Path, session_name: str) -> Path:
    """Where the AWS CLI keeps the token of an sso-session: ~/.aws/sso/cache/<sha1(name)>.json."""
    return home / ".aws" / "sso" / "cache" / f"{hashlib.sha1(session_name.encode()).hexdigest()}.json"


def write_token(home: Path, session_name: str, token: str, expires_in: float, region: str = "eu-west-1") -> Path:
    """A token cache file as `aws sso login` writes it (no refresh token: an expired one cannot be renewed)."""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
    path = token_cache_file(home, session_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"startUrl": START_URL, "region": region, "accessToken": token,
                                "expiresAt": when}))
    path.chmod(0o600)
    return path


class SsoPortal:
    def __init__(self, sts_endpoint: str, token: str):
        self.sts_endpoint = sts_endpoint
        self.token = token
        self.requests: list[dict[str, str]] = []  # query of each GetRoleCredentials (the token not kept)
        self.issued: list[str] = []  # access key ids handed out
        portal = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                portal._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> SsoPortal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, request: http.server.BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.requests.append({**query, "path": parts.path})
        if parts.path != "/federation/credentials" or not query.get("role_name") or not query.get("account_id"):
            self._send(request, 400, "InvalidRequestException", {"message": "Invalid request"})
            return
        if request.headers.get("x-amz-sso_bearer_token") != self.token:
            self._send(request, 401, "UnauthorizedException", {"message": "Session token not found or invalid"})
            return
        import boto3

        sts = boto3.client("sts", endpoint_url=self.sts_endpoint, region_name="eu-west-1",
                           aws_access_key_id="sso-portal", aws_secret_access_key="sso-portal")
        role = f"arn:aws:iam::{query['account_id']}:role/{query['role_name']}"
        creds = sts.assume_role(RoleArn=role, RoleSessionName="alice@example.com")["Credentials"]
        self.issued.append(creds["AccessKeyId"])
        body = {"roleCredentials": {"accessKeyId": creds["AccessKeyId"], "secretAccessKey": creds["SecretAccessKey"],
                                    "sessionToken": creds["SessionToken"],
                                    "expiration": int(creds["Expiration"].timestamp() * 1000)}}
        self._send(request, 200, None, body)

    @staticmethod
    def _send(request: http.server.BaseHTTPRequestHandler, status: int, error: str | None, body: object) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        if error:
            request.send_header("x-amzn-ErrorType", f"{error}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
