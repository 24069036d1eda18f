"""`letme console`: the federation exchange against a local stand-in of signin.aws.amazon.com/federation."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from letme_shell import console_url


class Federation:
    """Answers getSigninToken only for a Session JSON with exactly the expected credentials."""

    def __init__(self) -> None:
        self.expected: dict[str, str] | None = None
        self.requests: list[dict[str, str]] = []
        self.status = 200
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                outer.requests.append({"path": parsed.path, **query})
                if outer.status != 200:
                    self._answer(outer.status, b"<html>denied</html>")
                    return
                session = json.loads(query.get("Session", "null"))
                if (parsed.path != "/federation" or query.get("Action") != "getSigninToken"
                        or session != outer.expected):
                    self._answer(400, b'{"error": "bad session"}')
                    return
                self._answer(200, json.dumps({"SigninToken": "TOKEN-" + session["sessionId"]}).encode())

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/federation"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def federation() -> Iterator[Federation]:
    stand_in = Federation()
    yield stand_in
    stand_in.stop()


def _creds(sandbox, account: str = "example1") -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = json.loads(sandbox.ok("credential-process", account, "--mfa-code", "123456").stdout)
    return {"sessionId": data["AccessKeyId"], "sessionKey": data["SecretAccessKey"],
            "sessionToken": data["SessionToken"]}


def test_print_builds_login_url_from_the_signin_token(initialised, federation) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    result = initialised.ok("console", "example1", "--print", env={"LETME_FEDERATION_URL": federation.url})
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    parsed = urllib.parse.urlsplit(lines[0])
    query = dict(urllib.parse.parse_qsl(parsed.query))
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == federation.url
    assert query == {
        "Action": "login", "Issuer": "letme", "SigninToken": "TOKEN-" + federation.expected["sessionId"],
        "Destination": "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1",
    }
    # One exchange, and no secret anywhere the user or a log sees.
    assert [r["Action"] for r in federation.requests] == ["getSigninToken"]
    for secret in (federation.expected["sessionKey"], federation.expected["sessionToken"]):
        assert secret not in result.stdout + result.stderr


def test_config_key_and_region_option(initialised, federation) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised, "example2")
    with initialised.letme_config.open("a") as fh:
        fh.write(f'federation_url = "{federation.url}"\n')
    result = initialised.ok("console", "example2", "--json", "--region", "us-east-1")
    data = json.loads(result.stdout)
    assert data["account"] == "example2" and data["region"] == "us-east-1"
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(data["url"]).query))
    assert query["Destination"] == "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"


def test_refused_credentials_are_one_line_without_secrets(initialised, federation) -> None:  # type: ignore[no-untyped-def]
    creds = _creds(initialised)
    federation.status = 403
    result = initialised.run("console", "example1", "--print", env={"LETME_FEDERATION_URL": federation.url})
    assert result.returncode == 1 and result.stdout == ""
    assert "refused the credentials (HTTP 403)" in result.stderr
    assert "Traceback" not in result.stderr
    for secret in creds.values():
        assert secret not in result.stderr


def test_unreachable_endpoint(initialised) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = initialised.run("console", "example1", "--print", "--mfa-code", "123456",
                             env={"LETME_FEDERATION_URL": f"http://127.0.0.1:{port}/federation"})
    assert result.returncode == 1
    assert result.stderr.startswith("letme: error: cannot reach the sign-in endpoint")


def test_bad_federation_url_in_config_is_rejected(initialised) -> None:  # type: ignore[no-untyped-def]
    with initialised.letme_config.open("a") as fh:
        fh.write('federation_url = "ftp://nope"\n')
    result = initialised.run("console", "example1", "--print")
    assert result.returncode == 1 and "federation_url" in result.stderr and "http(s) URL" in result.stderr


@pytest.mark.parametrize(("arn", "region", "partition", "endpoint"), [
    ("arn:aws:iam::123456789012:role/x", "eu-west-1", "aws", "https://signin.aws.amazon.com/federation"),
    ("arn:aws-cn:iam::123456789012:role/x", "cn-north-1", "aws-cn", "https://signin.amazonaws.cn/federation"),
    ("arn:aws-us-gov:iam::123456789012:role/x", "us-gov-west-1", "aws-us-gov",
     "https://signin.amazonaws-us-gov.com/federation"),
    (None, "cn-northwest-1", "aws-cn", "https://signin.amazonaws.cn/federation"),
])
def test_partition_defaults(monkeypatch: pytest.MonkeyPatch, arn: str | None, region: str, partition: str,
                            endpoint: str) -> None:
    monkeypatch.delenv(console_url.ENV_VAR, raising=False)
    assert console_url.partition_of(arn, region) == partition
    assert console_url.federation_endpoint(partition) == endpoint
    assert console_url.destination(partition, region).startswith(f"https://{region}.console.")
