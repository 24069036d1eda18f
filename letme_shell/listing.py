"""The table `letme list` prints, and the `listing` file that keeps it ready.

`init` validated every item and writes the table once, sanitised and formatted,
beside the records: `letme list` over 10,000 accounts then copies one file to
stdout instead of parsing and formatting 10,000 JSON records (~70 ms).

The file is `letme_listing 2<TAB>FETCHED_AT<TAB>CRC32`, then the table. It is
used only when FETCHED_AT is that of the records beside it (the same `init`) and
the CRC32 of the table matches (not cut short or damaged): any doubt and `list`
formats the records instead. zlib's CRC, not a hash: hashlib loads OpenSSL (~10 ms).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

from letme_shell import fsutil, validate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from letme_shell.catalog import Account

MAGIC = "letme_listing 2"


SOURCE_WIDTH = len("organizations")


def table(accounts: Sequence[Account]) -> str:
    """Header and one line per account; the NAME column as wide as the longest name. A SOURCE column (table,
    aws-config, organizations) when any account comes from elsewhere than the table: a table-only catalog
    prints as it always did."""
    width = max(len("NAME"), *(len(a.name) for a in accounts)) if accounts else len("NAME")
    sourced = any(a.source != "table" for a in accounts)
    source_head = f"{'SOURCE':<{SOURCE_WIDTH}}  " if sourced else ""
    lines = [f"{'NAME':<{width}}  {'ID':<12}  {'HOPS':>4}  {'REGIONS':<24}  {source_head}DESCRIPTION"]
    for a in accounts:
        # Descriptions and ids are untrusted text: printable() leaves no escape or newline.
        regions = validate.printable(",".join(a.regions), 40) or "-"
        account_id = validate.printable(a.id, 12) if a.id else "-"
        source = f"{a.source:<{SOURCE_WIDTH}}  " if sourced else ""
        lines.append(f"{a.name:<{width}}  {account_id:<12}  {len(a.roles):>4}  {regions:<24}  {source}"
                     f"{validate.printable(a.description, 60)}")
    return "\n".join(lines) + "\n"


def name_of(line: str) -> str:
    """The account a table line is about (names never contain a space)."""
    return line.split(" ", 1)[0]


def narrowed(header: str, lines: Sequence[str]) -> str:
    """The table for some of its lines, the NAME column re-padded to the longest name among them."""
    wide = header.index("  ID")
    width = max(len("NAME"), *(len(name_of(line)) for line in lines)) if lines else len("NAME")
    rows = [f"{'NAME':<{width}}{header[wide:]}", *(f"{name_of(line):<{width}}{line[wide:]}" for line in lines)]
    return "\n".join(rows) + "\n"


def write(path: Path, fetched_at: float, accounts: Sequence[Account]) -> None:
    text = table(accounts).encode()
    stamp = f"{MAGIC}\t{fetched_at!r}\t{zlib.crc32(text)}\n".encode()
    fsutil.atomic_write(path, stamp + text)


def read(path: Path, fetched_at: float) -> str | None:
    """The table from `path` if it was written with the records fetched at `fetched_at` and is intact."""
    data = fsutil.read_bytes(path)
    if data is None:
        return None
    stamp, _, text = data.partition(b"\n")
    if stamp != f"{MAGIC}\t{fetched_at!r}\t{zlib.crc32(text)}".encode():
        return None
    return text.decode("utf-8", "replace")
