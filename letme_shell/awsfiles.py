"""letme's profiles in ~/.aws/credentials and ~/.aws/config, and nothing else.

Sections letme writes carry `manager = letme` and `letme_origin = …` (the
context, table, hub region and source profile they were made for; botocore
ignores unknown keys). Sections the original letme wrote, under a `; letme managed`
comment line, are letme's too (see _legacy). letme replaces or removes only its own sections of the
same origin: a hand-written profile of the same name, or one letme wrote for
another origin (another config file with the same context name, say), is
refused unless --force, so a profile a shell relies on never silently starts
meaning another account. A letme section without an origin (written before
letme recorded one) counts as letme's. botocore reads a profile's static keys
from the credentials file before its `credential_process` in the config file,
so each mode clears what would shadow it. Writes go through `fsutil` (lock,
temp file, rename, 0600).
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

from letme_shell import fsutil, ini, paths, trust, validate
from letme_shell.credentials import Credentials
from letme_shell.errors import LetmeError

MARK_KEY = "manager"
MARK_VALUE = "letme"
ORIGIN_KEY = "letme_origin"


def config_section(name: str) -> str:
    return "default" if name == "default" else f"profile {name}"


class Profile(namedtuple("Profile", "name origin config credentials")):
    """What letme wants in each file for one profile: `config` and `credentials` are
    the sections' keys, or None for no section there. (A namedtuple: `use` imports
    this module, and dataclasses would pull in inspect at every start.)"""

    __slots__ = ()


def profile_for(name: str, origin: str, region: str | None, *, process_command: str | None = None,
                creds: Credentials | None = None) -> Profile:
    mark = {MARK_KEY: MARK_VALUE, ORIGIN_KEY: origin}
    config = dict(mark)
    if region:
        config["region"] = region
    config["output"] = "json"
    if process_command:
        config["credential_process"] = process_command
    cred_section = None
    if creds is not None:
        cred_section = {
            **mark,
            "aws_access_key_id": creds.access_key_id,
            "aws_secret_access_key": creds.secret_access_key,
            "aws_session_token": creds.session_token,
            "x_security_token_expires": creds.expiration,
        }
    for section in (config, cred_section or {}):
        for key, value in section.items():
            # A line break in a value would end it and start a line of its own: a key or a
            # section letme did not mean to write (a config path from LETME_CONFIG, an odd STS answer).
            if not validate.is_one_line(value):
                raise LetmeError(f"refusing to write {key} for profile '{name}': the value contains a line break "
                                 "or control character")
    return Profile(name, origin, config, cred_section)


def _read(path: Path, vet: bool = True) -> ini.IniText:
    """The file as editable text; `vet` also checks it with configparser (skipped by the read-only check)."""
    try:
        data = fsutil.read_bytes(path)
    except trust.UnsafePath:  # a FIFO or a device (AWS_CONFIG_FILE=/dev/null): no profile can live there
        raise LetmeError(f"{path} is not a regular file; letme writes no profiles there",
                         "point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at a file") from None
    try:
        text = data.decode("utf-8") if data else ""
        return ini.parse(text, str(path)) if vet else ini.IniText(text)
    except UnicodeDecodeError:
        raise LetmeError(f"{path} is not UTF-8 text; letme leaves it alone", "fix or move the file") from None
    except ini.InvalidIni as exc:
        raise LetmeError(f"{path} is not a valid INI file ({exc}); letme leaves it alone",
                         "fix the file so the AWS CLI can read it, then try again") from None


def read_text(path: Path) -> ini.IniText:
    """An AWS file as editable text, vetted (sourcekeys.py edits single lines of it under fsutil's locks)."""
    return _read(path)


ABSENT, OURS, OTHER_ORIGIN, FOREIGN = "absent", "ours", "other-origin", "foreign"


def _owner(text: ini.IniText, section: str, origin: str) -> tuple[str, str | None]:
    """Whose `section` is (ABSENT, OURS, OTHER_ORIGIN or FOREIGN), and the origin it records."""
    try:
        options = text.options(section)
    except ini.InvalidIni as exc:
        raise LetmeError(f"cannot edit the AWS files: {exc}", "remove the duplicate by hand") from None
    if options is None:
        return ABSENT, None
    if MARK_KEY not in options and _legacy(text, section):
        return OURS, None  # the original letme's section (see _legacy)
    if options.get(MARK_KEY) != MARK_VALUE:
        return FOREIGN, None
    recorded = options.get(ORIGIN_KEY)
    if recorded is None or recorded == origin:  # no origin: written by a letme that did not record one
        return OURS, recorded
    return OTHER_ORIGIN, recorded


def _legacy(text: ini.IniText, section: str) -> bool:
    """Whether the original letme (Go) wrote `section`: it put the comment line `; letme managed` directly
    above each section it owned, in both files. Only that whole line counts (ini.IniText.legacy_marked); a
    section that says `manager = …` itself is judged by that key alone. Such a section carries no origin: it
    belongs to whichever context names its profiles bare, the default one (see naming), as the original did."""
    span = text.find(section)
    return span is not None and text.legacy_marked(span)


def _refuse(path: Path, section: str, owner: str, recorded: str | None) -> LetmeError:
    if owner == OTHER_ORIGIN:
        return LetmeError(f"[{section}] in {path} was written by letme for another origin "
                          f"({validate.printable(recorded, 200)}); letme leaves it alone",
                          "remove it with letme from the config that wrote it, or pass --force to replace it")
    return LetmeError(f"[{section}] in {path} was not written by letme; letme leaves it alone",
                      "rename that profile, or pass --force to let letme replace it")


def _allowed(path: Path, text: ini.IniText, section: str, origin: str, force: bool) -> str:
    owner, recorded = _owner(text, section, origin)
    if owner in (FOREIGN, OTHER_ORIGIN) and not force:
        raise _refuse(path, section, owner, recorded)
    return owner


def _desired(path: Path, section: str, origin: str, wanted: dict[str, str] | None, force: bool,
             vet: bool = True) -> bool:
    """Whether the file needs a change; raises when the change would clobber a section that is not ours."""
    text = _read(path, vet)
    owner = _allowed(path, text, section, origin, force)
    if wanted is None:
        return owner != ABSENT
    return owner != OURS or text.options(section) != wanted


def _apply_one(path: Path, section: str, origin: str, wanted: dict[str, str] | None, force: bool) -> None:
    text = _read(path)
    _allowed(path, text, section, origin, force)
    if wanted is None:
        if not text.remove(section):
            return
    else:
        text.put(section, wanted)
    fsutil.atomic_write(path, str(text).encode("utf-8"), mode=0o600, follow_symlink=True)


def up_to_date(profile: Profile, force: bool = False) -> bool:
    """Cheap check that both files already say what `profile` wants (no lock, no configparser:
    a repeated `use` on cached credentials reads the files and stops here)."""
    name, origin = profile.name, profile.origin
    return not (
        _desired(paths.aws_credentials_file(), name, origin, profile.credentials, force, vet=False)
        or _desired(paths.aws_config_file(), config_section(name), origin, profile.config, force, vet=False)
    )


def write(profile: Profile, force: bool = False) -> None:
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    name, origin = profile.name, profile.origin
    # Check both files before touching either, so a refusal leaves both as they were.
    for path in (cred_path, config_path):
        fsutil.check_writable(path)
    _desired(cred_path, name, origin, profile.credentials, force)
    _desired(config_path, config_section(name), origin, profile.config, force)
    # Always the same lock order: credentials, then config.
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        _apply_one(cred_path, name, origin, profile.credentials, force)
        _apply_one(config_path, config_section(name), origin, profile.config, force)


def remove(name: str, origin: str, force: bool = False) -> list[Path]:
    """Remove letme's sections of profile `name` made for `origin`; any other section of that name is
    refused (both files are checked before either changes) unless `force`."""
    removed = []
    cred_path, config_path = paths.aws_credentials_file(), paths.aws_config_file()
    targets = [(cred_path, name), (config_path, config_section(name))]
    for path, section in targets:
        _allowed(path, _read(path), section, origin, force)
    with fsutil.locked(cred_path), fsutil.locked(config_path):
        for path, section in targets:
            text = _read(path)
            _allowed(path, text, section, origin, force)
            if text.remove(section):
                fsutil.atomic_write(path, str(text).encode("utf-8"), mode=0o600, follow_symlink=True)
                removed.append(path)
    return removed


def letme_profiles(origin: str, context: str) -> list[tuple[Path, str]]:
    """(file, profile name) of every section letme wrote for `origin` in either AWS file, by the rules `remove`
    follows: `manager = letme` and this origin. A letme section that records no origin (an older letme's) is
    counted when its name belongs to `context` (`example1` to general, `example1@b` to b)."""
    from letme_shell import naming

    found = []
    for path in (paths.aws_credentials_file(), paths.aws_config_file()):
        text = _read(path)
        for span in text.spans():
            section = span.name
            if path == paths.aws_config_file():
                if section != "default" and not section.startswith("profile "):
                    continue
                name = section.removeprefix("profile ")
            else:
                name = section
            owner, recorded = _owner(text, section, origin)
            if owner != OURS:
                continue
            if recorded is None and (naming.split(name)[1] or "general") != context:
                continue
            found.append((path, name))
    return found
