"""No secret in any text letme shows, however the failure comes about (issue 10, item 2).

A network that cuts or garbles an STS answer makes botocore raise ResponseParserError
with the raw XML (SecretAccessKey, SessionToken) in its message; an SDK that runs
`letme credential-process` copies letme's stderr into its CredentialRetrievalError,
so whatever letme prints ends up in application logs. The end-to-end tests put
tests/stsproxy.py in front of moto, let it cut or corrupt the real answer, and
compare letme's output with the secrets moto really issued (the proxy keeps the
full answers it mangled). The unit tests hold the scrubber (letme_shell.ui.scrub)
to every secret shape, and to leaving paths, ARNs, key ids, account ids and
regions alone.
"""

from __future__ import annotations

import base64
import functools
import http.client
import json
import random
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import stsproxy
from conftest import LETME, Sandbox
from hypothesis import given, settings
from hypothesis import strategies as st
from test_obtain import detached

from letme_shell import ui

MFA = ("--mfa-code", "123456")
WINDOW = 10  # a run of this many characters of a secret counts as leaking it


def secret_fields(xml: bytes) -> dict[str, str]:
    """SecretAccessKey and SessionToken of a full STS answer."""
    text = xml.decode()
    found = {name: re.search(f"<{name}>([^<]+)</{name}>", text) for name in ("SecretAccessKey", "SessionToken")}
    assert all(found.values()), text[:300]
    return {name: match.group(1) for name, match in found.items() if match}


def leaked(text: str, secrets: object) -> list[str]:
    """Each secret of which any WINDOW-long piece occurs in `text`."""
    out = []
    for secret in secrets:  # type: ignore[attr-defined]
        if any(secret[i:i + WINDOW] in text for i in range(max(1, len(secret) - WINDOW + 1))):
            out.append(secret[:12] + "…")
    return out


# --- end to end: a cut or garbled STS answer --------------------------------------------------------------

MANGLES = {
    "AssumeRole-cut-in-SecretAccessKey": lambda: stsproxy.cut("AssumeRole", "SecretAccessKey"),
    "AssumeRole-cut-in-SessionToken": lambda: stsproxy.cut("AssumeRole", "SessionToken"),
    "AssumeRole-corrupt-SessionToken": lambda: stsproxy.corrupt("AssumeRole", "SessionToken"),
    "GetSessionToken-cut-in-SessionToken": lambda: stsproxy.cut("GetSessionToken", "SessionToken"),
}
COMMANDS = {
    "obtain": ("obtain", "example1", *MFA),
    "credential-process": ("credential-process", "example1", *MFA),
    "use": ("use", "example1", "--mode", "env", "--shell", "bash", *MFA),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("mangle", list(MANGLES))
def test_a_cut_or_garbled_sts_answer_leaks_no_secret(proxied: Sandbox, catalog_template: Path,
                                                     sts_proxy: stsproxy.StsProxy, command: str,
                                                     mangle: str) -> None:
    import shutil

    shutil.copytree(catalog_template, proxied.home / ".cache" / "letme" / "catalog")
    sts_proxy.add(MANGLES[mangle]())
    plain = detached(proxied, *COMMANDS[command])
    debug = detached(proxied, *COMMANDS[command], "--debug")
    assert len(sts_proxy.mangled) == 2, sts_proxy.seen  # both runs got a real answer, then lost it
    secrets = [value for body in sts_proxy.mangled for value in secret_fields(body).values()]
    action = MANGLES[mangle]().action
    for result in (plain, debug):
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert not leaked(result.stderr, secrets), result.stderr
    errors = [line for line in plain.stderr.splitlines() if line.startswith("letme: error: ")]
    assert len(errors) == 1 and "Traceback" not in plain.stderr, plain.stderr
    assert f"sts:{action}" in errors[0] and "could not be read" in errors[0], errors[0]
    # --debug still shows where it happened: a traceback, scrubbed, not Python's raw one.
    assert "Traceback (most recent call last)" in debug.stderr and "ResponseParserError" in debug.stderr
    assert "SecretAccessKey>" not in debug.stderr or "SecretAccessKey>***" in debug.stderr


def test_an_sdk_running_credential_process_logs_no_secret(proxied: Sandbox, catalog_template: Path,
                                                          sts_proxy: stsproxy.StsProxy) -> None:
    """boto3 runs `letme credential-process` and puts its stderr into CredentialRetrievalError."""
    import shutil

    shutil.copytree(catalog_template, proxied.home / ".cache" / "letme" / "catalog")
    with proxied.config_file.open("a") as fh:
        fh.write(f"\n[profile sdk]\ncredential_process = {LETME} credential-process example1 --mfa-code 123456\n")
    sts_proxy.add(stsproxy.cut("AssumeRole", "SessionToken"))
    script = ("import boto3\n"
              "try:\n"
              "    boto3.Session(profile_name='sdk').client('sts', region_name='eu-west-1').get_caller_identity()\n"
              "except Exception as exc:\n"
              "    print(type(exc).__name__)\n"
              "    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", script], env=proxied.env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL, start_new_session=True)
    assert result.stdout.startswith("CredentialRetrievalError\n"), result.stdout + result.stderr
    assert "letme: error: " in result.stdout  # the SDK did copy letme's stderr into its error
    assert sts_proxy.mangled, "the proxy never cut an answer"
    secrets = [value for body in sts_proxy.mangled for value in secret_fields(body).values()]
    assert not leaked(result.stdout + result.stderr, secrets), result.stdout


# --- the catch-all and aws.explained ------------------------------------------------------------------------

def fake_credentials(rng: random.Random) -> dict[str, str]:
    """Credentials shaped like AWS's: a 40-character secret key and a long session token."""
    key_id = "ASIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    return {"AccessKeyId": key_id,
            "SecretAccessKey": base64.b64encode(rng.randbytes(30)).decode(),
            "SessionToken": "IQoJb3JpZ2luX2VjE" + base64.b64encode(rng.randbytes(480)).decode()}


CREDS = fake_credentials(random.Random(10))
SECRETS = [CREDS["SecretAccessKey"], CREDS["SessionToken"]]


def test_the_catch_all_names_what_failed_without_the_payload(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from letme_shell import cli
    from letme_shell.commands import version

    def boom(args: object) -> int:
        raise ValueError(f"URL can't contain control characters: {json.dumps(CREDS)}")

    monkeypatch.setattr(version, "run", boom)
    assert cli.main(["version"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("letme: error: unexpected ValueError while running 'letme version'"), err
    assert "URL can't contain" not in err and not leaked(err, SECRETS)
    assert cli.main(["version", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in boom" in err, err
    assert not leaked(err, SECRETS), err
    assert CREDS["AccessKeyId"] in err  # not a secret; kept for the bug report


def test_letme_errors_under_debug_are_scrubbed_too(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from letme_shell import cli
    from letme_shell.commands import version
    from letme_shell.errors import LetmeError

    def boom(args: object) -> int:
        try:
            raise KeyError(f"aws_secret_access_key = {CREDS['SecretAccessKey']}")
        except KeyError as exc:
            raise LetmeError(f"bad file <SessionToken>{CREDS['SessionToken']}</SessionToken>") from exc

    monkeypatch.setattr(version, "run", boom)
    assert cli.main(["version", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "letme: error: bad file" in err
    assert not leaked(err, SECRETS), err


@functools.cache
def _assume_role_shape() -> object:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sts")
    return model.operation_model("AssumeRole").output_shape


def _sts_parser_error(body: bytes) -> Exception:
    """The ResponseParserError botocore itself raises for this AssumeRole answer."""
    from botocore import parsers

    with pytest.raises(parsers.ResponseParserError) as info:
        parsers.create_parser("query").parse({"body": body, "headers": {}, "status_code": 200},
                                             _assume_role_shape())
    return info.value


def assume_role_xml(creds: dict[str, str]) -> bytes:
    return (f'<AssumeRoleResponse xmlns="{stsproxy.STS_NS}"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>{creds['AccessKeyId']}</AccessKeyId><SecretAccessKey>{creds['SecretAccessKey']}"
            f"</SecretAccessKey><SessionToken>{creds['SessionToken']}</SessionToken>"
            "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
            ).encode()


def test_explained_names_the_error_not_its_payload() -> None:
    import botocore.exceptions as bex

    from letme_shell import aws
    from letme_shell.config import settings_from_table
    from letme_shell.errors import AwsError

    settings = settings_from_table(Path("letme.toml"), "general", {
        "aws_source_profile_region": "eu-west-1", "dynamodb_table": "tbl", "endpoint_url": "http://127.0.0.1:9"})
    body = assume_role_xml(CREDS)
    cut = body[: body.index(b"</SessionToken>") - 40]
    for exc, needle in [
        (_sts_parser_error(cut), "could not be read (ResponseParserError"),
        (bex.CredentialRetrievalError(provider="process", error_msg=json.dumps(CREDS)), "CredentialRetrievalError"),
        (bex.ParamValidationError(report=f"Invalid type for parameter SessionToken, value: {SECRETS[1]}"),
         "ParamValidationError"),
    ]:
        with pytest.raises(AwsError) as info, aws.explained("hop 1/1 (sts:AssumeRole r)", settings):
            raise exc
        message = f"{info.value.message} {info.value.hint}"
        assert message.startswith("hop 1/1 (sts:AssumeRole r) failed: ") and needle in message, message
        assert not leaked(message, SECRETS), message


# --- the scrubber: every secret shape -----------------------------------------------------------------------

def invalid_url_message(creds: dict[str, str]) -> str:
    """What http.client says about a federation URL with a stray \\r (the session JSON in its query)."""
    session = json.dumps({"sessionId": creds["AccessKeyId"], "sessionKey": creds["SecretAccessKey"],
                          "sessionToken": creds["SessionToken"]})
    path = "/federation\r?" + urllib.parse.urlencode({"Action": "getSigninToken", "Session": session})
    with pytest.raises(http.client.InvalidURL) as info:
        http.client.HTTPConnection("127.0.0.1", 9).putrequest("GET", path)
    return str(info.value)


def shapes(creds: dict[str, str]) -> dict[str, str]:
    key, token, key_id = creds["SecretAccessKey"], creds["SessionToken"], creds["AccessKeyId"]
    signin = base64.urlsafe_b64encode(token.encode()[:600]).decode().rstrip("=")
    body = assume_role_xml(creds)
    session = {"sessionId": key_id, "sessionKey": key, "sessionToken": token}
    return {
        "sts-xml": body.decode(),
        "parser-error-cut-in-key": str(_sts_parser_error(body[: body.index(b"</SecretAccessKey>") - 17])),
        "parser-error-cut-in-token": str(_sts_parser_error(body[: body.index(b"</SessionToken>") - 99])),
        "parser-error-garbled": str(_sts_parser_error(body.replace(b"</SessionToken>", b"<&</SessionToken>"))),
        "session-json": json.dumps(session),
        "session-json-cut": json.dumps(session)[:-30],
        "session-repr": repr(session),
        "escaped-json": json.dumps(json.dumps(session)),
        # JSON that escapes its slashes (PHP, some loggers), \u escapes, XML character references
        "json-escaped-slashes": json.dumps(session).replace("/", "\\/"),
        "json-unicode-slashes": json.dumps(session).replace("/", "\\u002f").replace("+", "\\u002B"),
        "xml-char-refs": body.decode().replace("/", "&#47;").replace("+", "&#43;").replace("</", "<&#47;"),
        "invalid-url": invalid_url_message(creds),
        "federation-query": "GET /federation?" + urllib.parse.urlencode({"Action": "getSigninToken",
                                                                         "Session": json.dumps(session)}),
        "login-url": "https://signin.aws.amazon.com/federation?Action=login&Issuer=letme&SigninToken=" + signin,
        "signin-json": json.dumps({"SigninToken": signin}),
        "ini": f"[example1]\naws_access_key_id = {key_id}\naws_secret_access_key = {key}\naws_session_token={token}\n",
        "env": f"export AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY='{key}' AWS_SESSION_TOKEN=\"{token}\"",
        "process-json": json.dumps({"Version": 1, **creds}),
        "header": f"X-Amz-Security-Token: {token}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={key_id}/",
        "bare-key": f"unexpected value {key} in line 3",
        "bare-token": f"token {token} rejected",
        "bare-signin-token": f"here: {signin}.",
        "configparser": f"Source contains parsing errors: 'c'\n\t[line  3]: '{key}\\n'\n\t[line  4]: '{token}'",
    }


@pytest.mark.parametrize("name", list(shapes(CREDS)))
def test_scrub_removes_every_secret_shape(name: str) -> None:
    for seed in range(5):
        creds = fake_credentials(random.Random(seed))
        text = shapes(creds)[name]
        signin = base64.urlsafe_b64encode(creds["SessionToken"].encode()[:600]).decode().rstrip("=")
        secrets = [creds["SecretAccessKey"], creds["SessionToken"], signin]
        assert leaked(text, secrets), "the sample holds no secret"
        scrubbed = ui.scrub(text)
        assert not leaked(scrubbed, secrets), scrubbed
        # What is not secret stays readable (but the federation Session parameter goes as a whole).
        if creds["AccessKeyId"] in text and name not in ("invalid-url", "federation-query"):
            assert creds["AccessKeyId"] in scrubbed, scrubbed


def test_every_cut_of_an_sts_answer_is_scrubbed() -> None:
    body = assume_role_xml(CREDS).decode()
    start = body.index("<SecretAccessKey>")
    for end in range(start, len(body), 7):
        assert not leaked(ui.scrub(body[:end]), SECRETS), end


def test_random_secret_keys_are_scrubbed_bare() -> None:
    """A secret key with nothing around it (no field name): the shape alone gives it away."""
    rng = random.Random(2024)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for i in range(20000):
        key = (base64.b64encode(rng.randbytes(30)).decode() if i % 2
               else "".join(rng.choice(alphabet) for _ in range(40)))
        assert key not in ui.scrub(f"cannot use {key}: invalid"), key


# --- the scrubber: what must survive ------------------------------------------------------------------------

LOWER, UPPER, DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"


def chars(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


# st.text over small alphabets, not st.from_regex: generating from regexes made this test take a minute.
LOWER_WORD = st.builds(str.__add__, chars(LOWER, 1, 1), chars(LOWER + DIGITS, 0, 11))
CAMEL_WORD = st.builds(lambda a, b, c: a + b + c, chars(UPPER, 1, 1), chars(LOWER, 1, 9), chars(DIGITS, 0, 4))
CAPITAL = chars(UPPER, 1, 1)
NAME = st.one_of(
    LOWER_WORD,
    CAPITAL,                                                                          # /mnt/D
    st.lists(CAMEL_WORD, min_size=1, max_size=4).map("".join),                       # MyProject2024
    st.lists(st.one_of(LOWER_WORD, CAMEL_WORD), min_size=2, max_size=4).map("-".join),  # my-Project
    st.lists(LOWER_WORD, min_size=2, max_size=3).map("_".join),                      # test_x_0
    st.lists(st.one_of(LOWER_WORD, CAMEL_WORD), min_size=2, max_size=3).map(" ".join),  # Application Support
    chars("0123456789abcdef", 8, 64),                                                  # hashes
)
SEGMENT = st.one_of(NAME, st.builds(lambda dot, stem, ext: f"{dot}{stem}.{ext}", st.sampled_from(["", "."]), NAME,
                                    chars(LOWER + DIGITS, 1, 5)))                          # .cache, X.json
PATH = st.builds(lambda lead, parts: lead + "/".join(parts),
                 st.sampled_from(["/", "~/", "./", "", "C:/"]), st.lists(SEGMENT, min_size=1, max_size=14))
ROLE_NAME = st.lists(st.one_of(CAMEL_WORD, LOWER_WORD), min_size=1, max_size=8).map("".join)
ARN = st.builds(lambda partition, account, path, name, kind: f"arn:{partition}:{kind}::{account}:role/{path}{name}"
                if kind == "iam" else f"arn:{partition}:sts::{account}:assumed-role/{name}/{path.strip('/') or 's'}",
                st.sampled_from(["aws", "aws-cn", "aws-us-gov"]), chars(DIGITS, 12, 12),
                st.lists(st.one_of(LOWER_WORD, CAMEL_WORD), max_size=3).map(lambda p: "".join(f"{x}/" for x in p)),
                ROLE_NAME, st.sampled_from(["iam", "sts"]))
KEY_ID = st.builds(str.__add__, st.sampled_from(["AKIA", "ASIA", "AROA", "AIDA"]), chars(UPPER + "234567", 16, 16))
REGION = st.builds(lambda *parts: "-".join(parts), st.sampled_from(["us", "eu", "ap", "sa", "ca", "cn", "us-gov"]),
                   st.sampled_from(["east", "west", "north", "south", "central", "southeast"]),
                   chars("123456789", 1, 1))


@settings(max_examples=300, deadline=None)
@given(PATH, ARN, KEY_ID, chars(DIGITS, 12, 12), REGION)
def test_scrub_leaves_paths_arns_key_ids_accounts_and_regions(path: str, arn: str, key_id: str, account: str,
                                                               region: str) -> None:
    for text in (f"cannot write {path}: Permission denied",
                 f"'{path}' is a directory",
                 path,
                 f"hop 2/3 (sts:AssumeRole {arn}) failed: AccessDenied: User: {arn} is not authorized",
                 f"{path}/{key_id}.json",
                 f"using {key_id} of account {account} in {region} ({arn})",
                 f"<Arn>{arn}</Arn><AccessKeyId>{key_id}</AccessKeyId>"):
        assert ui.scrub(text) == text


@pytest.mark.parametrize("text", [
    "letme: using example1 (process mode, eu-west-1), credentials valid for 59m",
    "the sign-in endpoint https://signin.aws.amazon.com/federation refused the credentials (HTTP 403)",
    "cannot reach http://127.0.0.1:5000 (EndpointConnectionError)",
    "/tmp/pytest-of-root/pytest-12/test_no_secret_in_argv_stderr_debug_output_0/home/.cache/letme/credentials",
    "/Users/Alice/Documents/Projects2024/MyApp/letme/cache/credentials/general/example1.json",
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b",
    "arn:aws:iam::123456789012:mfa/alice",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "AKIAIOSFODNN7EXAMPLE ASIAROSDW5AAWWKTLDKF 100000000001 ap-southeast-2 us-gov-west-1",
    "an MFA session ends; a session token is needed (sessionToken missing)",
])
def test_scrub_leaves_ordinary_messages(text: str) -> None:
    assert ui.scrub(text) == text
