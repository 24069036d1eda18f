"""`letme console`: the federation exchange against a local stand-in of signin.aws.amazon.com/federation,
and the hand-over to a browser (a fake one, given by $BROWSER, that records every argv it can see)."""

from __future__ import annotations

import html
import http.server
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Sandbox
from test_obtain import detached

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


@pytest.mark.parametrize("where", ["env", "config"])
@pytest.mark.parametrize("debug", [False, True])
def test_a_control_character_in_the_federation_url_is_one_line_without_secrets(
        initialised, federation, where: str, debug: bool) -> None:  # type: ignore[no-untyped-def]
    """A stray \\r (a file edited on Windows, a pasted value): http.client's InvalidURL quotes the URL, and with
    it the session JSON (sessionKey, sessionToken)."""
    creds = _creds(initialised)
    env = {}
    if where == "env":
        env["LETME_FEDERATION_URL"] = federation.url + "\r"
    else:
        with initialised.letme_config.open("a") as fh:
            fh.write(f'federation_url = "{federation.url}\\r"\n')
    result = initialised.run("console", "example1", "--print", *(["--debug"] if debug else []), env=env)
    assert result.returncode != 0 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("letme: error: ")]
    assert len(errors) == 1, result.stderr
    assert ("LETME_FEDERATION_URL" if where == "env" else "federation_url") in errors[0]
    assert "control character" in errors[0]
    assert ("Traceback" in result.stderr) == debug
    for secret in (creds["sessionKey"], creds["sessionToken"]):
        assert secret not in result.stderr
    assert federation.requests == []  # nothing was sent


# --- the browser -------------------------------------------------------------------------------------------

FAKE_BROWSER = """#!{python}
# A stand-in browser: records its argv, every process's argv it can read, and the page it was given.
import json, os, sys
seen = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{{pid}}/cmdline", "rb") as fh:
                seen.append(fh.read().replace(b"\\0", b" ").decode("utf-8", "replace"))
        except OSError:
            pass
page = {{}}
url = sys.argv[-1]
if url.startswith("file://"):
    import urllib.parse
    path = urllib.parse.unquote(url[len("file://"):])
    info = os.stat(path)
    page = {{"path": path, "mode": info.st_mode & 0o777, "dir_mode": os.stat(os.path.dirname(path)).st_mode & 0o777,
            "text": open(path).read()}}
with open({record!r}, "a") as fh:
    record = {{"name": os.path.basename(sys.argv[0]), "argv": sys.argv, "seen": seen, "page": page}}
    fh.write(json.dumps(record) + "\\n")
"""


class Browsers:
    """Fake browsers (one file each, also as lynx, w3m, xdg-open… on a PATH of their own) and their records."""

    def __init__(self, root: Path):
        self.record = root / "browser-runs.jsonl"
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        text = FAKE_BROWSER.format(python=sys.executable, record=str(self.record))
        for name in ("fake-browser", "lynx", "w3m", "links", "elinks", "www-browser", "xdg-open", "x-www-browser",
                     "firefox", "gio"):
            path = self.bin / name
            path.write_text(text)
            path.chmod(0o755)
        self.script = str(self.bin / "fake-browser")

    def runs(self) -> list[dict[str, object]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


@pytest.fixture
def browsers(tmp_path: Path) -> Browsers:
    return Browsers(tmp_path / "browsers")


def desktop_env(sandbox: Sandbox, browsers: Browsers, federation, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A graphical session (DISPLAY), no SSH, the federation stand-in and the fake browser."""
    runtime = sandbox.home.parent / "run-user"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {key: value for key, value in sandbox.env.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "BROWSER")}
    env.update({"DISPLAY": ":0", "BROWSER": browsers.script, "LETME_FEDERATION_URL": federation.url,
                "XDG_RUNTIME_DIR": str(runtime), "TERM": "xterm"})
    env.update(extra)
    return env


def run_console(sandbox: Sandbox, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    sandbox.env = env
    return detached(sandbox, "console", "example1", *args)


def forward_target(page_text: str) -> str:
    """The URL a forwarding page sends the browser to (its meta refresh)."""
    match = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]*)"', page_text)
    assert match, page_text
    return html.unescape(match.group(1))


def test_the_browser_gets_a_private_page_never_the_token(initialised, federation, browsers) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    token = "TOKEN-" + federation.expected["sessionId"]
    env = desktop_env(initialised, browsers, federation)
    result = run_console(initialised, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    runs = browsers.runs()
    assert len(runs) == 1, runs
    run = runs[0]
    # No process had the token on its command line: not the browser, not anything it could see.
    assert token not in " ".join(run["argv"])  # type: ignore[arg-type]
    assert not [line for line in run["seen"] if token in line]  # type: ignore[attr-defined]
    assert token not in result.stderr
    # The browser was given a local page: 0600, in a 0700 directory of letme's under $XDG_RUNTIME_DIR.
    page = run["page"]
    assert isinstance(page, dict) and page, run["argv"]
    assert Path(page["path"]).parent == Path(env["XDG_RUNTIME_DIR"]) / "letme"
    assert page["mode"] == 0o600 and page["dir_mode"] == 0o700
    # And that page sends the browser on to the sign-in URL with the token.
    target = forward_target(page["text"])
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))
    assert target.startswith(federation.url + "?") and query["SigninToken"] == token
    assert query["Action"] == "login"


def test_without_a_private_runtime_dir_the_page_goes_to_the_cache(initialised, federation, browsers) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    shared = initialised.home.parent / "shared-run"
    shared.mkdir()
    shared.chmod(0o777)
    for runtime in ("", str(shared)):  # unset, then not private
        env = desktop_env(initialised, browsers, federation, XDG_RUNTIME_DIR=runtime)
        result = run_console(initialised, env)
        assert result.returncode == 0, result.stderr
        page = browsers.runs()[-1]["page"]
        assert isinstance(page, dict)
        assert Path(page["path"]).parent == initialised.home / ".cache" / "letme" / "console"
        assert page["mode"] == 0o600 and page["dir_mode"] == 0o700
    assert list(shared.iterdir()) == []


def test_pages_older_than_the_token_are_removed(initialised, federation, browsers) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    env = desktop_env(initialised, browsers, federation)
    pages = Path(env["XDG_RUNTIME_DIR"]) / "letme"
    pages.mkdir(mode=0o700)
    old, recent = pages / "old.html", pages / "recent.html"
    for path, age in ((old, 16 * 60), (recent, 60)):
        path.write_text("x")
        os.utime(path, (time.time() - age, time.time() - age))
    result = run_console(initialised, env)
    assert result.returncode == 0, result.stderr
    assert not old.exists() and recent.exists()
    assert len(list(pages.glob("*.html"))) == 2  # the recent one and this run's


@pytest.mark.parametrize("plant", ["group-writable", "symlink", "other-owner"])
def test_a_page_directory_another_user_could_touch_is_refused(initialised, federation, browsers, tmp_path,
                                                              plant: str) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    env = desktop_env(initialised, browsers, federation)
    pages = Path(env["XDG_RUNTIME_DIR"]) / "letme"
    if plant == "group-writable":
        pages.mkdir()
        pages.chmod(0o770)
    elif plant == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        pages.symlink_to(elsewhere)
    else:
        if os.getuid() != 0:
            pytest.skip("chown to another user needs root")
        pages.mkdir(mode=0o700)
        os.chown(pages, 4242, 4242)
    result = run_console(initialised, env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("letme: error: ")]
    assert len(errors) == 1 and str(pages) in errors[0], result.stderr
    assert browsers.runs() == []
    assert result.stdout == ""


@pytest.mark.parametrize(("case", "extra", "why"), [
    ("no display", {"DISPLAY": ""}, "DISPLAY"),
    ("ssh session", {"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, "SSH"),
    ("ssh terminal", {"SSH_TTY": "/dev/pts/3"}, "SSH"),
])
def test_without_a_graphical_session_the_url_is_printed_and_no_browser_starts(
        initialised, federation, browsers, case: str, extra: dict[str, str], why: str) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    # Every browser webbrowser could pick is a recorder: $BROWSER, and lynx, w3m, xdg-open... on PATH.
    env = desktop_env(initialised, browsers, federation, **extra)
    env["PATH"] = f"{browsers.bin}{os.pathsep}{env['PATH']}"
    env = {key: value for key, value in env.items() if value != ""}
    result = run_console(initialised, env)
    assert result.returncode == 0, result.stderr
    assert browsers.runs() == []
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and "SigninToken=TOKEN-" in lines[0]
    assert len(result.stderr.splitlines()) == 1 and why in result.stderr, result.stderr


def test_a_text_browser_is_not_started_in_the_terminal(initialised, federation, browsers) -> None:  # type: ignore[no-untyped-def]
    """A display, but the only browser webbrowser finds is lynx (it would take over this terminal)."""
    federation.expected = _creds(initialised)
    lonely = browsers.bin.parent / "only-lynx"
    lonely.mkdir()
    (lonely / "lynx").symlink_to(browsers.bin / "lynx")
    env = desktop_env(initialised, browsers, federation)
    del env["BROWSER"]
    env["PATH"] = str(lonely)
    result = run_console(initialised, env)
    assert result.returncode == 0, result.stderr
    assert browsers.runs() == []
    assert "SigninToken=TOKEN-" in result.stdout
    assert len(result.stderr.splitlines()) == 1 and "lynx" in result.stderr, result.stderr


def test_the_cache_fallback_trusts_the_users_own_link_but_not_an_open_cache_dir(
        initialised, federation, browsers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    federation.expected = _creds(initialised)
    env = desktop_env(initialised, browsers, federation, XDG_RUNTIME_DIR="")
    cache = initialised.home / ".cache" / "letme"
    # The user's own symlink (a cache on another disk) is followed and judged by its target.
    target = tmp_path / "other-disk" / "letme-cache"
    target.mkdir(parents=True, mode=0o700)
    for entry in cache.iterdir():
        entry.rename(target / entry.name)
    cache.rmdir()
    cache.symlink_to(target)
    result = run_console(initialised, env)
    assert result.returncode == 0, result.stderr
    page = browsers.runs()[-1]["page"]
    assert isinstance(page, dict) and Path(page["path"]).resolve().parent == target / "console"
    # A cache directory others may write to: they could swap the page directory; refused.
    target.chmod(0o777)
    result = run_console(initialised, env)
    assert result.returncode == 1 and len(browsers.runs()) == 1
    assert f"{cache} is writable by others (mode 0777)" in result.stderr, result.stderr
