"""letme's profiles in ~/.aws/credentials and ~/.aws/config, and nothing else.

Sections letme writes carry `manager = letme` (botocore ignores unknown keys), and
letme replaces or removes only sections that carry it: a hand-written profile of
the same name is refused unless --force. botocore reads a profile's static keys
from the credentials file before its `credential_process` in the config file, so
each mode clears what would shadow it. Writes go through `fsutil` (lock, temp
file, rename, 0600).
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

from letme_shell import fsutil, ini, paths
from letme_shell.credentials import Credentials
from letme_shell.errors import LetmeError

MARK_KEY = "manager"
MARK_VALUE = "letme"


def config_section(account: str) -> str:
    return "default" if account == "default" else f"profile {account}"


class Profile(namedtuple("Profile", "account config credentials")):
    """What letme wants in each file for one account: `config` and `credentials` are
    the sections' keys, or None for no section there. (A namedtuple: `use` imports
    this module, and dataclasses would pull in inspect at every start.)"""

    __slots__ = ()


def profile_for(account: str, region: str | None, *, process_command: str | None = None,
                creds: Credentials | None = None) -> Profile:
    config = {MARK_KEY: MARK_VALUE}
    if region:
        config["region"] = region
    config["output"] = "json"
    if process_command:
        config["credential_process"] = process_command
    cred_section = None
    if creds is not None:
        cred_section = {
            MARK_KEY: MARK_VALUE,
            "aws_access_key_id": creds.access_key_id,
            "aws_secret_access_key": creds.secret_access_key,
            "aws_session_token": creds.session_token,
            "x_security_token_expires": creds.expiration,
        }
    return Profile(account, config, cred_section)


def _read(path: Path, vet: bool = True) -> ini.IniText:
    """The file as editable text; `vet` also checks it with configparser (skipped by the read-only check)."""
    data = fsutil.read_bytes(path)
    try:
        text = data.decode("utf-8") if data else ""
        return ini.parse(text, str(path)) if vet else ini.IniText(text)
    except UnicodeDecodeError:
        raise LetmeError(f"{path} is not UTF-8 text; letme leaves it alone", "fix or move the file") from None
    except ini.InvalidIni as exc:
        raise LetmeError(f"{path} is not a valid INI file ({exc}); letme leaves it alone",
                         "fix the file so the AWS CLI can read it, then try again") from None


def _owned(text: ini.IniText, section: str) -> bool | None:
    """True: letme's; False: someone else's; None: absent."""
    try:
        options = text.options(section)
    except ini.InvalidIni as exc:
        raise LetmeError(f"cannot edit the AWS files: {exc}", "remove the duplicate by hand") from None
    if options is None:
        return None
    return options.get(MARK_KEY) == MARK_VALUE


def _refuse(path: Path, section: str) -> LetmeError:
    return LetmeError(f"[{section}] in {path} was not written by letme; letme leaves it alone",
                      "rename that profile, or pass --force to let letme replace it")


def _desired(path: Path, section: str, wanted: dict[str, str] | None, force: bool, vet: bool = True) -> bool:
    """Whether the file needs a change; raises when the change would clobber a foreign section."""
    text = _read(path, vet)
    owned = _owned(text, section)
    if owned is False and not force:
        raise _refuse(path, section)
    if wanted is None:
        return owned is not None
    return owned is not True or text.options(section) != wanted


def _apply_one(path: Path, section: str, wanted: dict[str, str] | None, force: bool) -> None:
    text = _read(path)
    owned = _owned(text, section)
    if owned is False and not force:
        raise _refuse(path, section)
    if wanted is None:
        if not text.remove(section):
            return
    else:
        text.put(section, wanted)
    fsutil.atomic_write(path, str(text).encode("utf-8"), mode=0o600)


def up_to_date(profile: Profile, force: bool = False) -> bool:
    """Cheap check that both files already say what `profile` wants (no lock, no configparser:
    a repeated `use` on cached credentials reads the files and stops here)."""
    return not (
        _desired(paths.aws_credentials_file(), profile.account, profile.credentials, force, vet=False)
        or _desired(paths.aws_config_file(), config_section(profile.account), profile.config, force, vet=False)
    )


def write(profile: Profile, force: bool = False) -> None:
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    # Check both files before touching either, so a refusal leaves both as they were.
    for path in (cred_path, config_path):
        fsutil.check_writable(path)
    _desired(cred_path, profile.account, profile.credentials, force)
    _desired(config_path, config_section(profile.account), profile.config, force)
    # Always the same lock order: credentials, then config.
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        _apply_one(cred_path, profile.account, profile.credentials, force)
        _apply_one(config_path, config_section(profile.account), profile.config, force)


def remove(account: str) -> list[Path]:
    """Remove letme's sections for `account`; foreign sections of that name are refused."""
    removed = []
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    targets = [(cred_path, account), (config_path, config_section(account))]
    for path, section in targets:
        if _owned(_read(path), section) is False:
            raise _refuse(path, section)
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        for path, section in targets:
            text = _read(path)
            if text.remove(section):
                fsutil.atomic_write(path, str(text).encode("utf-8"), mode=0o600)
                removed.append(path)
    return removed
