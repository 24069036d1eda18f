"""A sample organisation on a local AWS-compatible server (moto), for `letme demo`, tests and benchmarks.

It builds what a real letme set-up has: a hub IAM user with access keys and a
virtual MFA device, target roles (1-hop and 3-hop chains), a DynamoDB catalog,
a letme config and an AWS credentials file in a sandbox directory. The server is
reached over HTTP like any AWS endpoint; nothing here is a shortcut inside letme.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any

REGION = "eu-west-1"
TABLE = "letme-accounts"
HUB_USER = "alice"
# moto's default account: the hub. The others are the "spokes" of the sample org.
HUB_ACCOUNT = "123456789012"
EXTRA_REGIONS = ("eu-central-1", "us-east-1", "ap-southeast-2")


@dataclasses.dataclass(frozen=True)
class Org:
    endpoint: str
    access_key_id: str
    secret_access_key: str
    mfa_arn: str
    table: str
    names: tuple[str, ...]


def start_server(port: int = 0, record: bool = True) -> tuple[Any, str]:
    """A moto server on 127.0.0.1 (random free port by default): (server, endpoint URL).

    `record` turns on moto's request recorder (tests read it back over HTTP). Its
    file goes to the temporary directory, not to the current one; `letme demo`
    records nothing.
    """
    import logging
    import tempfile

    if record:
        os.environ.setdefault("MOTO_ENABLE_RECORDING", "true")
        os.environ.setdefault("MOTO_RECORDER_FILEPATH",
                              os.path.join(tempfile.gettempdir(), f"letme-moto-recording-{os.getpid()}"))
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, real_port = server.get_host_and_port()
    return server, f"http://{host}:{real_port}"


def _client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def account_item(name: str, index: int, hops: int = 1, description: str | None = None,
                 tags: list[str] | None = None, pad: int = 0) -> dict[str, Any]:
    """One catalog item in DynamoDB's wire format."""
    account_id = f"{100000000000 + index:012d}"
    chain = [role_arn(HUB_ACCOUNT, "letme-hub")] if hops > 1 else []
    chain += [role_arn(f"{200000000000 + index * 10 + hop:012d}", f"letme-hop{hop}") for hop in range(2, hops)]
    chain.append(role_arn(account_id, "letme-target"))
    regions = [REGION, EXTRA_REGIONS[index % len(EXTRA_REGIONS)]]
    item: dict[str, Any] = {
        "name": {"S": name},
        "id": {"N": str(int(account_id))},
        "description": {"S": (description or f"sample account {name}") + "x" * pad},
        "region": {"L": [{"S": r} for r in regions]},
        "role": {"L": [{"S": r} for r in chain]},
    }
    if tags:
        item["tags"] = {"L": [{"S": t} for t in tags]}
    return item


def sample_items(count: int = 40, pad: int = 0) -> list[dict[str, Any]]:
    """example1 (1 hop), example2 (3 hops), prod-eu (production), then teams to `count` items."""
    items = [
        account_item("example1", 1, hops=1, description="Example account, one role"),
        account_item("example2", 2, hops=3, description="Example account behind a 3-role chain"),
        account_item("prod-eu", 3, hops=2, description="Production, Europe", tags=["prod"]),
    ]
    teams = ("payments", "search", "billing", "data", "ml", "web", "mobile", "infra")
    stages = ("dev", "staging", "prod")
    index = 4
    while len(items) < count:
        team, stage = teams[index % len(teams)], stages[(index // len(teams)) % len(stages)]
        name = f"{team}-{stage}-{index:05d}"
        items.append(account_item(name, index, hops=1 + index % 3, tags=[stage] if stage == "prod" else None,
                                  pad=pad))
        index += 1
    return items[:count]


def seed(endpoint: str, count: int = 40, pad: int = 0, table: str = TABLE,
         items: list[dict[str, Any]] | None = None) -> Org:
    """Create the hub user, its MFA device, the roles and the catalog table on `endpoint`."""
    iam = _client("iam", endpoint)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=HUB_USER)
    try:
        key = iam.create_access_key(UserName=HUB_USER)["AccessKey"]
    except iam.exceptions.LimitExceededException:
        # IAM allows two keys per user; a third seed of one server retires the oldest.
        oldest = min(iam.list_access_keys(UserName=HUB_USER)["AccessKeyMetadata"], key=lambda k: k["CreateDate"])
        iam.delete_access_key(UserName=HUB_USER, AccessKeyId=oldest["AccessKeyId"])
        key = iam.create_access_key(UserName=HUB_USER)["AccessKey"]
    try:
        mfa_arn = iam.create_virtual_mfa_device(VirtualMFADeviceName=HUB_USER)["VirtualMFADevice"]["SerialNumber"]
    except iam.exceptions.EntityAlreadyExistsException:
        mfa_arn = f"arn:aws:iam::{HUB_ACCOUNT}:mfa/{HUB_USER}"
    if not iam.list_mfa_devices(UserName=HUB_USER)["MFADevices"]:
        # The device is the user's (iam:ListMFADevices finds it when mfa_arn is not set).
        iam.enable_mfa_device(UserName=HUB_USER, SerialNumber=mfa_arn, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'
             + HUB_ACCOUNT + ':root"},"Action":"sts:AssumeRole","Condition":{"Bool":'
             '{"aws:MultiFactorAuthPresent":"true"}}}]}')
    for name in ("letme-hub", "letme-target"):
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, MaxSessionDuration=43200)
    ddb = _client("dynamodb", endpoint)
    with contextlib.suppress(ddb.exceptions.ResourceInUseException):
        ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    rows = items if items is not None else sample_items(count, pad)
    for start in range(0, len(rows), 25):
        batch = [{"PutRequest": {"Item": item}} for item in rows[start : start + 25]]
        ddb.batch_write_item(RequestItems={table: batch})
    names = tuple(sorted(item["name"]["S"] for item in rows if "S" in item.get("name", {})))
    return Org(endpoint, key["AccessKeyId"], key["SecretAccessKey"], mfa_arn, table, names)


def write_sandbox(home: Path, org: Org, *, mfa: bool = True, extra: str = "") -> dict[str, str]:
    """A HOME with ~/.aws/credentials for the hub user and a letme config; returns the environment to run in."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {org.access_key_id}\naws_secret_access_key = {org.secret_access_key}\n")
    (aws / "config").write_text(f"[default]\nregion = {REGION}\n")
    for path in (aws / "credentials", aws / "config"):
        path.chmod(0o600)
    config_dir = home / ".config" / "letme"
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = ["[general]", 'aws_source_profile = "default"', f'aws_source_profile_region = "{REGION}"',
             f'dynamodb_table = "{org.table}"', f'endpoint_url = "{org.endpoint}"']
    if mfa:
        lines.append(f'mfa_arn = "{org.mfa_arn}"')
    (config_dir / "letme.toml").write_text("\n".join(lines) + "\n" + extra)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_ENDPOINT_URL": org.endpoint,
    }


class FederationStandIn:
    """A local stand-in for the AWS sign-in federation endpoint (signin.aws.amazon.com/federation), so that
    `letme console` can be tried in the demo, without AWS.

    It answers the two requests `letme console` makes (letme_shell/console_url.py), as AWS does:
    - `?Action=getSigninToken&Session=<JSON of the temporary credentials>`: it asks the local STS (moto,
      GetCallerIdentity, with those credentials) whom they belong to, and answers `{"SigninToken": T}`,
      T a random token it remembers for 15 minutes. Only a role session (or a federated user) may sign in,
      as with AWS; anything else gets HTTP 400 (moto answers any unknown key as `user/moto`);
    - `?Action=login&…&SigninToken=T`: a page saying "signed in as <the caller's ARN>", in place of the
      console (the destination is named on it).
    The credentials only go to STS: they are never stored, logged or put in an answer (a token is random,
    not derived from them), and no request is logged. It listens on 127.0.0.1 only.
    """

    TOKEN_SECONDS = 900

    def __init__(self, sts_endpoint: str):
        import http.server
        import threading

        self.sts_endpoint = sts_endpoint
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (caller ARN, expiry on the monotonic clock)
        self._lock = threading.Lock()
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line carries the credentials: never log it

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/federation"
        self._thread = threading.Thread(target=self.server.serve_forever, name="letme-federation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _caller(self, session: Any) -> str | None:
        """The ARN STS names for the session's credentials, or None when it does not accept them."""
        import boto3
        import botocore.exceptions

        if not isinstance(session, dict) or not all(isinstance(session.get(key), str) and session[key]
                                                    for key in ("sessionId", "sessionKey", "sessionToken")):
            return None
        sts = boto3.client("sts", endpoint_url=self.sts_endpoint, region_name=REGION,
                           aws_access_key_id=session["sessionId"], aws_secret_access_key=session["sessionKey"],
                           aws_session_token=session["sessionToken"])
        try:
            arn = sts.get_caller_identity()["Arn"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, KeyError):
            return None
        return arn if isinstance(arn, str) and (":assumed-role/" in arn or ":federated-user/" in arn) else None

    def _answer(self, request: Any) -> None:
        import html
        import json
        import secrets
        import time
        import urllib.parse

        parsed = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        action = query.get("Action")
        if parsed.path != "/federation" or action not in ("getSigninToken", "login"):
            self._send(request, 400, "application/json", b'{"error": "unknown request"}')
            return
        if action == "getSigninToken":
            try:
                caller = self._caller(json.loads(query.get("Session", "")))
            except ValueError:
                caller = None
            if caller is None:
                self._send(request, 400, "application/json", b'{"error": "the session was not accepted"}')
                return
            token = secrets.token_urlsafe(32)
            with self._lock:
                now = time.monotonic()
                self.tokens = {t: v for t, v in self.tokens.items() if v[1] > now}
                self.tokens[token] = (caller, now + self.TOKEN_SECONDS)
            self._send(request, 200, "application/json", json.dumps({"SigninToken": token}).encode())
            return
        with self._lock:
            found = self.tokens.get(query.get("SigninToken", ""))
        if found is None or found[1] <= time.monotonic():
            self._send(request, 403, "text/html; charset=utf-8",
                       b"<!doctype html><title>letme demo</title><p>This sign-in link is unknown or expired.</p>\n")
            return
        page = ("<!doctype html><title>letme demo: signed in</title>"
                f"<h1>signed in as {html.escape(found[0])}</h1>"
                "<p>This is letme demo's stand-in for the AWS console sign-in: the real endpoint would now open "
                f"{html.escape(query.get('Destination', 'the console'))}.</p>\n")
        self._send(request, 200, "text/html; charset=utf-8", page.encode())

    @staticmethod
    def _send(request: Any, status: int, content_type: str, body: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(body)
