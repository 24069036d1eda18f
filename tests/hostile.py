"""One corpus of hostile strings, shared by every layer that meets untrusted text.

Catalog items come from a DynamoDB table that other people write to, so names,
descriptions, regions, roles and tags may carry anything. Each string here is
aimed at one way of going wrong: command substitution in each shell's syntax,
statement separators, every kind of quote (including the Unicode ones some
editors type), line breaks, control characters and terminal escapes (colour,
window title, screen clear), very long text and non-ASCII. Strings that try to
run code do it by creating a canary file; a test passes the canary's path in and
asserts afterwards that it never appeared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from letme_shell import sampleorg

CANARY_NAME = "CANARY"


def strings(canary: Path) -> list[str]:
    """Hostile values; those that would execute something create `canary`."""
    c = str(canary)
    return [
        # command substitution and separators, in bash/zsh and fish syntax
        f"$(touch {c})",
        f"`touch {c}`",
        f"x;touch {c}",
        f"x; touch {c};",
        f"x|touch {c}",
        f"x&touch {c}",
        f"x && touch {c}",
        f"x || touch {c}",
        f"(touch {c})",
        f"x(touch {c})",
        f"$(touch {c})$(touch {c})",
        f"<(touch {c})",
        f"=(touch {c})",
        f"${{$(touch {c})}}",
        f"$((`touch {c}`))",
        f"x\ntouch {c}\n",
        f"x\rtouch {c}",
        f"x\x00touch {c}",
        # quotes of every kind, trying to close the quoting letme wraps a value in
        f"'; touch {c}; '",
        f"'\"'\"'; touch {c}; #",
        f'"; touch {c}; "',
        f"\\'; touch {c}; \\'",
        f"\\\\'; touch {c} #",
        f"\u2018; touch {c}; \u2019",
        f"\u201c$(touch {c})\u201d",
        "'",
        '"',
        "`",
        "\\",
        "\\n",
        "''",
        '""',
        # expansions that must stay literal
        "$HOME",
        "${HOME}",
        "$fish_pid",
        "~",
        "~root",
        "*",
        "?",
        "[a-z]*",
        "{a,b}",
        "!!",
        "!-1",
        "^foo^bar",
        "%s%n%x",
        "{account}",
        "-rf",
        "--help",
        "#comment",
        # INI metacharacters (names end up as section headers)
        "[default]",
        "a]\n[default",
        "a = b",
        "a;b",
        # terminal control
        "\x1b[31mred\x1b[0m",
        "\x1b]0;pwned title\x07",
        "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
        "\x1b[2J\x1b[H",
        "\x1bc",
        "\x9b31m",  # 8-bit CSI
        "\x07\x08\x7f",
        "a\tb",
        "a\x0bb\x0cc",
        # Unicode trickery and plain non-ASCII
        "\u202egnp.exe",
        "zero\u200bwidth",
        "\ufeffbom",
        "caf\u00e9-\u65e5\u672c\u8a9e-\U0001f642",
        "\u2028line\u2029para",
        "\ud7ff\ue000\uffff",
        # size
        "A" * 1000,
        ("$(touch " + c + ")") * 200,
    ]


def _key_safe(value: str) -> str:
    # DynamoDB partition keys: non-empty, at most 2048 bytes of UTF-8.
    data = value.encode("utf-8", "surrogatepass")[:1024]
    return data.decode("utf-8", "ignore") or "empty"


def items(canary: Path, good: int = 3) -> list[dict[str, Any]]:
    """DynamoDB items: `good` valid accounts, then hostile names, descriptions, regions, roles and tags.

    Items with a hostile description or tag keep a valid name (letme may show them,
    sanitised); items with a hostile name, region or role must be refused.
    """
    corpus = strings(canary)
    rows = [sampleorg.account_item(f"good-{i:02d}", i + 1) for i in range(good)]
    seen = {row["name"]["S"] for row in rows}
    for index, text in enumerate(corpus):
        name = _key_safe(text)
        if name not in seen:
            seen.add(name)
            rows.append(sampleorg.account_item(name, 500 + index))
        desc = sampleorg.account_item(f"desc-{index:03d}", 600 + index)
        desc["description"] = {"S": text or "-"}
        desc["tags"] = {"L": [{"S": text or "-"}, {"S": "ok"}]}
        rows.append(desc)
        region = sampleorg.account_item(f"region-{index:03d}", 700 + index)
        region["region"] = {"L": [{"S": text or "-"}]}
        rows.append(region)
        role = sampleorg.account_item(f"role-{index:03d}", 800 + index)
        role["role"] = {"L": [{"S": f"arn:aws:iam::123456789012:role/{text}"}]}
        rows.append(role)
    # Wrong types in every field.
    rows.append({"name": {"S": "types-01"}, "region": {"N": "3"}, "role": {"S": "not-an-arn"}})
    rows.append({"name": {"S": "types-02"}, "region": {"M": {"a": {"S": "b"}}}})
    rows.append({"name": {"S": "types-03"}, "id": {"S": "$(touch " + str(canary) + ")"}})
    rows.append({"name": {"S": "types-04"}, "description": {"M": {"x": {"S": "\x1b[31m"}}}})
    return rows


def valid_names(rows: list[dict[str, Any]]) -> set[str]:
    """Names of the items letme must accept (the good ones and those with a hostile description or tag)."""
    return {row["name"]["S"] for row in rows
            if row["name"].get("S", "").startswith(("good-", "desc-"))}


def assert_no_escape(text: str | bytes, where: str) -> None:
    """No raw ESC, 8-bit CSI, BEL or other C0 control (bar tab/newline) reached a terminal-bound stream."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    bad = sorted({f"{ord(ch):#04x}" for ch in data
                  if (ord(ch) < 0x20 and ch not in "\t\n") or 0x7f <= ord(ch) < 0xa0
                  or ch in "\u202e\u2028\u2029"})
    assert not bad, f"{where} carries raw control characters {bad}: {data[:400]!r}"
