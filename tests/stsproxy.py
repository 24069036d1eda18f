"""A local HTTP stand-in in front of moto that rejects chosen AWS calls the way AWS does.

moto accepts any MFA code and every AssumeRole its trust policies allow, so the
failures letme must explain (a wrong MFA code, AccessDenied at hop N, throttling,
expired source keys) are produced here: a rule matches a request by its Action
(STS, a form-encoded query API) or X-Amz-Target (DynamoDB, JSON) and by form
fields, and answers with the error body real AWS sends. A Mangle rule forwards
the request, then cuts or corrupts moto's answer (a faulty network). Everything
else is forwarded to moto unchanged. The proxy also counts what it saw, per action.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

# Messages as AWS words them (captured from real STS responses).
BAD_MFA_MESSAGE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
EXPIRED_MESSAGE = "The security token included in the request is expired"
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."


def sts_error_xml(code: str, message: str, kind: str = "Sender") -> bytes:
    return (f'<ErrorResponse xmlns="{STS_NS}">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n'
            f"    <Message>{message}</Message>\n  </Error>\n  <RequestId>{uuid.uuid4()}</RequestId>\n"
            "</ErrorResponse>\n").encode()


def denied_message(role_arn: str, caller: str = "arn:aws:sts::123456789012:assumed-role/letme-hub/s") -> str:
    return f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


@dataclasses.dataclass
class Rule:
    """Answer requests for `action` whose form fields include `match` with an AWS error, `times` times."""

    action: str
    status: int
    code: str
    message: str
    match: dict[str, str] = dataclasses.field(default_factory=dict)
    times: int | None = None  # None: every time
    json_error: bool = False  # DynamoDB-style JSON body instead of STS XML

    def applies(self, action: str, form: dict[str, str]) -> bool:
        if action != self.action or self.times == 0:
            return False
        return all(form.get(key) == value for key, value in self.match.items())

    def body(self) -> tuple[bytes, str]:
        if self.json_error:
            import json

            payload = {"__type": f"com.amazon.coral.service#{self.code}", "message": self.message}
            return json.dumps(payload).encode(), "application/x-amz-json-1.0"
        return sts_error_xml(self.code, self.message), "text/xml"


@dataclasses.dataclass
class Mangle:
    """Forward requests for `action` to moto, then cut or corrupt its answer inside the `field` element.

    A network that drops the end of a response, or a middlebox that garbles it, hands botocore an
    AWS answer it cannot parse, and botocore's ResponseParserError carries the raw body: credentials
    AWS did issue. `cut` ends the body in the middle of the field's value (Content-Length matches
    the shortened body); `corrupt` puts bytes no XML parser accepts in the middle of it. The proxy
    keeps every full answer it mangled in `StsProxy.mangled`, so a test knows the real secrets.
    """

    action: str
    field: str = "SecretAccessKey"  # SecretAccessKey, SessionToken, AccessKeyId, Expiration...
    kind: str = "cut"  # or "corrupt"
    match: dict[str, str] = dataclasses.field(default_factory=dict)
    times: int | None = None

    def applies(self, action: str, form: dict[str, str]) -> bool:
        if action != self.action or self.times == 0:
            return False
        return all(form.get(key) == value for key, value in self.match.items())

    def mangle(self, payload: bytes) -> bytes:
        start = payload.find(f"<{self.field}>".encode())
        end = payload.find(f"</{self.field}>".encode(), start)
        assert start >= 0 and end > start, f"no <{self.field}> in the answer: {payload[:300]!r}"
        middle = (start + len(self.field) + 2 + end) // 2
        if self.kind == "cut":
            return payload[:middle]
        assert self.kind == "corrupt", self.kind
        return payload[:middle] + b"<\x00&<<" + payload[middle:]


def cut(action: str = "AssumeRole", field: str = "SecretAccessKey", **kwargs: object) -> Mangle:
    return Mangle(action, field, "cut", **kwargs)  # type: ignore[arg-type]


def corrupt(action: str = "AssumeRole", field: str = "SessionToken", **kwargs: object) -> Mangle:
    return Mangle(action, field, "corrupt", **kwargs)  # type: ignore[arg-type]


# The standard canned rejections.
def bad_mfa(code: str = "000000") -> Rule:
    return Rule("GetSessionToken", 403, "AccessDenied", BAD_MFA_MESSAGE, match={"TokenCode": code})


def denied(role_arn: str) -> Rule:
    return Rule("AssumeRole", 403, "AccessDenied", denied_message(role_arn), match={"RoleArn": role_arn})


def throttled(action: str = "AssumeRole", times: int | None = None) -> Rule:
    return Rule(action, 400, "Throttling", "Rate exceeded", times=times)


def expired(action: str = "GetSessionToken") -> Rule:
    return Rule(action, 400, "ExpiredToken", EXPIRED_MESSAGE)


class StsProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule | Mangle] = []
        # The full answers moto gave to requests a Mangle rule then cut or corrupted, in order.
        self.mangled: list[bytes] = []
        self.seen: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.forms: list[dict[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy._serve(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> StsProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, *rules: Rule | Mangle) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()
            self.rejected.clear()
            self.forms.clear()
            self.mangled.clear()

    @contextmanager
    def rejecting(self, *rules: Rule | Mangle) -> Iterator[StsProxy]:
        self.add(*rules)
        try:
            yield self
        finally:
            with self._lock:
                for rule in rules:
                    self.rules.remove(rule)

    def _action(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> tuple[str, dict[str, str]]:
        target = handler.headers.get("X-Amz-Target")
        if target:  # DynamoDB_20120810.Scan
            return target.rsplit(".", 1)[-1], {}
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        return form.get("Action", ""), form

    def _serve(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        action, form = self._action(handler, body)
        with self._lock:
            self.seen[action] += 1
            if form:
                self.forms.append(form)
            rule = next((r for r in self.rules if r.applies(action, form)), None)
            if rule is not None:
                if isinstance(rule, Rule):
                    self.rejected[action] += 1
                if rule.times is not None:
                    rule.times -= 1
        if isinstance(rule, Rule):
            payload, content_type = rule.body()
            self._reply(handler, rule.status, payload, {"Content-Type": content_type,
                                                        "x-amzn-RequestId": str(uuid.uuid4())})
            return
        request = urllib.request.Request(self.upstream + handler.path, data=body or None, method=handler.command)
        for key, value in handler.headers.items():
            if key.lower() not in ("host", "content-length", "connection", "accept-encoding"):
                request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                status, payload, headers = resp.status, resp.read(), dict(resp.headers.items())
        except urllib.error.HTTPError as exc:
            status, payload, headers = exc.code, exc.read(), dict(exc.headers.items())
        keep = {k: v for k, v in headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")}
        if isinstance(rule, Mangle) and status == 200:
            with self._lock:
                self.mangled.append(payload)
            payload = rule.mangle(payload)
        self._reply(handler, status, payload, keep)

    @staticmethod
    def _reply(handler: http.server.BaseHTTPRequestHandler, status: int, payload: bytes,
               headers: dict[str, str]) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)
