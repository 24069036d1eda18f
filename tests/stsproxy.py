"""A local HTTP stand-in in front of moto that rejects chosen AWS calls the way AWS does.

moto accepts any MFA code and every AssumeRole its trust policies allow, so the
failures letme must explain (a wrong MFA code, AccessDenied at hop N, throttling,
expired source keys) are produced here: a rule matches a request by its Action
(STS, a form-encoded query API) or X-Amz-Target (DynamoDB, JSON) and by form
fields, and answers with the error body real AWS sends. A Mangle rule forwards
the request, then cuts or corrupts moto's answer (a faulty network). Everything
else is forwarded to moto unchanged. The proxy also counts what it saw, per action.

Two faults of a network or a machine are played here too: a rule with `hang=True`
accepts the request and never answers (until the rule is removed or the proxy
stops), and `clock_offset` shifts the Date header of every answer and the
<Expiration> of STS credentials by that many seconds, as AWS looks to a machine
whose own clock is off by minus that much.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import http.server
import re
import threading
import time
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
    hang: bool = False  # accept the request and never answer it

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


def mfa_required(role_arn: str, caller: str = "arn:aws:iam::123456789012:user/alice") -> Rule:
    """AssumeRole of `role_arn` refused once for want of MFA (the call letme makes without a code). AWS words
    this refusal in more than one way; letme recognises it by AccessDenied naming MFA, as for a wrong code."""
    return Rule("AssumeRole", 403, "AccessDenied",
                f"{denied_message(role_arn, caller)}: MultiFactorAuthentication is required by the role's trust policy",
                match={"RoleArn": role_arn}, times=1)


def throttled(action: str = "AssumeRole", times: int | None = None) -> Rule:
    return Rule(action, 400, "Throttling", "Rate exceeded", times=times)


def expired(action: str = "GetSessionToken") -> Rule:
    return Rule(action, 400, "ExpiredToken", EXPIRED_MESSAGE)


def hang(action: str, match: dict[str, str] | None = None) -> Rule:
    """The request is read and never answered: an endpoint that accepts and goes silent."""
    return Rule(action, 0, "", "", match=match or {}, hang=True)


_EXPIRATION = re.compile(rb"<Expiration>([^<]+)</Expiration>")


def shift_expirations(payload: bytes, seconds: float) -> bytes:
    def shifted(match: re.Match[bytes]) -> bytes:
        when = dt.datetime.fromisoformat(match.group(1).decode().replace("Z", "+00:00"))
        moved = (when + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)
        return b"<Expiration>" + moved.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b"</Expiration>"

    return _EXPIRATION.sub(shifted, payload)


class StsProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule | Mangle] = []
        # The full answers moto gave to requests a Mangle rule then cut or corrupted, in order.
        self.mangled: list[bytes] = []
        self.seen: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.forms: list[dict[str, str]] = []
        self.clock_offset = 0.0  # seconds added to the Date header and to STS <Expiration>
        self._released = threading.Event()  # set to let hanging requests go (without an answer)
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
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    def add(self, *rules: Rule | Mangle) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        self._release_hanging()
        with self._lock:
            self.clock_offset = 0.0
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
            if any(rule.hang for rule in rules):
                self._release_hanging()

    def _release_hanging(self) -> None:
        """Let go of the requests a hang rule holds: their connections close without an answer."""
        released, self._released = self._released, threading.Event()
        released.set()

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
        if isinstance(rule, Rule) and rule.hang:
            self._released.wait(timeout=600)
            handler.close_connection = True
            return
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
        if self.clock_offset and action in ("GetSessionToken", "AssumeRole"):
            payload = shift_expirations(payload, self.clock_offset)
        if isinstance(rule, Mangle) and status == 200:
            with self._lock:
                self.mangled.append(payload)
            payload = rule.mangle(payload)
        self._reply(handler, status, payload, keep)

    def _reply(self, handler: http.server.BaseHTTPRequestHandler, status: int, payload: bytes,
               headers: dict[str, str]) -> None:
        if self.clock_offset:
            handler.send_response_only(status)
            handler.send_header("Server", handler.version_string())
            handler.send_header("Date", email.utils.formatdate(time.time() + self.clock_offset, usegmt=True))
        else:
            handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)


class SilentEndpoint:
    """Accepts TCP connections, reads what is sent and never answers: the network fault that makes
    a client wait out its read timeouts. Counts the connections it accepted."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self._held: list[object] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> SilentEndpoint:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)  # kept open, never written to

    def stop(self) -> None:
        import contextlib

        with contextlib.suppress(OSError):
            self.sock.shutdown(2)  # SHUT_RDWR: wakes the blocked accept()
        with contextlib.suppress(OSError):
            self.sock.close()
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()  # type: ignore[attr-defined]
