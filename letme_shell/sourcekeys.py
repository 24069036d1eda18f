"""`letme source`: a profile's long-term keys moved out of ~/.aws/credentials into the OS keyring, as aws-vault does.

`add PROFILE` stores the profile's aws_access_key_id and aws_secret_access_key in the keyring (item
`source/PROFILE`, keychain.py), reads them back, and only then edits the AWS files, under their locks, atomically,
every other byte kept: the two key lines leave the credentials file (its `[PROFILE]` header stays, so that
`remove` can put them back where they were), and `credential_process = letme source credentials PROFILE` becomes
the first line of the profile's section in the config file (added at the end when there is none). That line is
the marker: `aws --profile PROFILE` and every SDK then get the keys only by running letme, and letme knows the
profile as its own by that line alone (no index to keep in step). letme itself, when the profile is its
aws_source_profile, reads the keys from the keyring and gives them to boto3 directly (aws.py), without the
round trip through a process.

`remove PROFILE` is the way back: the keys return as the first lines of `[PROFILE]`, the marker line goes (with
the section, when letme added it), then the keyring item. `add` followed by `remove` gives back both files byte
for byte when the keys were the first lines of their section (as `aws configure` writes them).

Only plain IAM user keys are moved: a session token (temporary keys) or a profile that is something else too
(role_arn, credential_process, SSO) is refused, and nothing changes.
"""

from __future__ import annotations

import json
import os
import re
import shlex

from letme_shell import awsfiles, fsutil, keychain, paths, validate
from letme_shell.errors import ExitCode, LetmeError

KEY_ID, SECRET, TOKEN = "aws_access_key_id", "aws_secret_access_key", "aws_session_token"
PROCESS = "credential_process"
# Settings that make a profile more than its keys (botocore would use them first, or instead).
NOT_PLAIN = ("role_arn", "source_profile", "credential_source", PROCESS, "sso_session", "sso_start_url",
             "web_identity_token_file", "login_session")
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


def check_name(profile: str) -> str:
    if not PROFILE_NAME.fullmatch(profile):
        raise LetmeError(f"'{validate.printable(profile)}' is not a profile name letme moves",
                         "profile names here are letters, digits and ._@+- (as in ~/.aws/credentials)",
                         ExitCode.USAGE)
    return profile


def marker_command(profile: str) -> str:
    from letme_shell import switch

    # botocore splits credential_process with POSIX shell rules.
    return shlex.join([*switch.letme_command(), "source", "credentials", profile])


def is_marker(value: str | None, profile: str) -> bool:
    """Whether a credential_process value is letme's `source credentials PROFILE` (whatever letme's path)."""
    if not value:
        return False
    try:
        argv = shlex.split(value)
    except ValueError:
        return False
    return (len(argv) >= 4 and argv[-3:] == ["source", "credentials", profile]
            and any("letme" in os.path.basename(part) for part in argv[:-3]))


def held() -> list[str]:
    """The profiles whose keys letme holds: those whose credential_process in the AWS config is the marker."""
    text = awsfiles.read_text(paths.aws_config_file())
    found = []
    for span in text.spans():
        name = span.name
        profile = "default" if name == "default" else name.removeprefix("profile ") if name.startswith(
            "profile ") else None
        if profile is not None and is_marker((text.options(name) or {}).get(PROCESS), profile):
            found.append(profile)
    return found


def is_held(profile: str) -> bool:
    options = awsfiles.read_text(paths.aws_config_file()).options(awsfiles.config_section(profile)) or {}
    return is_marker(options.get(PROCESS), profile)


def keys(profile: str) -> tuple[str, str]:
    """The access key id and secret letme holds for `profile`; one line when the keyring has none."""
    raw = keychain.get(keychain.source_item(profile))
    try:
        data = json.loads(raw) if raw else None
        found = (str(data["AccessKeyId"]), str(data["SecretAccessKey"])) if data else None
    except (ValueError, KeyError, TypeError):
        found = None
    if found is None:
        raise LetmeError(f"profile '{profile}' gets its keys from letme (credential_process in "
                         f"{paths.aws_config_file()}), but the keyring ({keychain.backend_name()}) has none for it",
                         f"put its keys back in {paths.aws_credentials_file()} and remove that credential_process "
                         "line, then 'letme source add' it again")
    return found


def add(profile: str) -> str:
    """Move the profile's keys into the keyring (see the module docstring); the access key id moved."""
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    section = awsfiles.config_section(profile)
    for path in (cred_path, config_path):
        fsutil.check_writable(path)
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        creds, conf = awsfiles.read_text(cred_path), awsfiles.read_text(config_path)
        options, conf_options = creds.options(profile), conf.options(section)
        marked = is_marker((conf_options or {}).get(PROCESS), profile)
        if marked and (options is None or KEY_ID not in options):
            raise LetmeError(f"letme already holds the keys of profile '{profile}'",
                             f"'letme source list' shows them; 'letme source remove {profile}' puts them back")
        if options is None or KEY_ID not in options or SECRET not in options:
            raise LetmeError(f"profile '{profile}' has no {KEY_ID} and {SECRET} in {cred_path}",
                             "letme source add moves the long-term keys of a profile that has them")
        if TOKEN in options:
            raise LetmeError(f"profile '{profile}' in {cred_path} has a session token: temporary keys, which "
                             "expire; letme source add moves only long-term IAM user keys")
        other = [key for key in NOT_PLAIN if key in options or (key in (conf_options or {}) and not marked)]
        if other:
            raise LetmeError(f"profile '{profile}' also has {other[0]}: it is more than a pair of keys, and letme "
                             "leaves it alone", "move the keys of a profile that holds only keys")
        key_id, secret = options[KEY_ID], options[SECRET]
        body = json.dumps({"AccessKeyId": key_id, "SecretAccessKey": secret})
        item = keychain.source_item(profile)
        keychain.put(item, body)
        if keychain.get(item) != body:  # never remove the only other copy on the keyring's word alone
            raise LetmeError(f"the keyring ({keychain.backend_name()}) did not keep the keys of '{profile}'; "
                             "nothing was changed in the AWS files")
        if not marked:
            if conf_options is None:
                conf.put(section, {PROCESS: marker_command(profile)})
            else:
                conf.insert_options(section, {PROCESS: marker_command(profile)})
            fsutil.atomic_write(config_path, str(conf).encode("utf-8"), mode=0o600, follow_symlink=True)
        creds.drop_options(profile, (KEY_ID, SECRET))
        fsutil.atomic_write(cred_path, str(creds).encode("utf-8"), mode=0o600, follow_symlink=True)
    return key_id


def remove(profile: str) -> str:
    """Put the keys back into the credentials file, drop the marker, then the keyring item; the key id."""
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    section = awsfiles.config_section(profile)
    for path in (cred_path, config_path):
        fsutil.check_writable(path)
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        creds, conf = awsfiles.read_text(cred_path), awsfiles.read_text(config_path)
        conf_options = conf.options(section) or {}
        if not is_marker(conf_options.get(PROCESS), profile):
            raise LetmeError(f"letme does not hold the keys of profile '{profile}'",
                             "'letme source list' shows the profiles it holds")
        key_id, secret = keys(profile)
        options = creds.options(profile)
        if options is not None and KEY_ID in options:
            raise LetmeError(f"[{profile}] in {cred_path} has keys again; letme leaves them as they are",
                             f"remove the credential_process line of [{section}] in {config_path} by hand")
        restored = {KEY_ID: key_id, SECRET: secret}
        if options is None:
            creds.put(profile, restored)
        else:
            creds.insert_options(profile, restored)
        fsutil.atomic_write(cred_path, str(creds).encode("utf-8"), mode=0o600, follow_symlink=True)
        if list(conf_options) == [PROCESS]:  # the section letme added
            conf.remove(section)
        else:
            conf.drop_options(section, (PROCESS,))
        fsutil.atomic_write(config_path, str(conf).encode("utf-8"), mode=0o600, follow_symlink=True)
        keychain.delete(keychain.source_item(profile))
    return key_id


def process_json(profile: str) -> str:
    """What `letme source credentials PROFILE` prints: credential_process JSON of the long-term keys (no
    Expiration: they do not expire, and the SDK keeps them for its process's life)."""
    if not is_held(profile):
        raise LetmeError(f"letme does not hold the keys of profile '{profile}'",
                         f"'letme source add {profile}' moves them from {paths.aws_credentials_file()}")
    key_id, secret = keys(profile)
    return json.dumps({"Version": 1, "AccessKeyId": key_id, "SecretAccessKey": secret}) + "\n"
