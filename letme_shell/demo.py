"""`letme demo`: a sample organisation on an embedded moto server, and a sandboxed shell to try letme in.

Beside moto runs a stand-in for the console sign-in endpoint (sampleorg.FederationStandIn), named by the
sandbox config's `federation_url`, so `letme console` works in the demo too.

Everything lives in one temporary directory that is the demo's HOME: the AWS
files, the letme config and caches, the shell's rc file and history. The
environment points every AWS and XDG variable there, so the user's real ~/.aws
and letme files are never read or written. Leaving (the shell exits, the command
ends, a signal arrives) stops the server and removes the directory.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from letme_shell import ui
from letme_shell.errors import ExitCode, LetmeError

ACCOUNTS = 48
# Variables of the user's shell that would reach past the sandbox: credentials and
# profiles of any AWS tool, letme's own state, rc files other shells would source.
SCRUB_PREFIXES = ("AWS_", "LETME_", "AWSUME_", "GRANTED_", "__letme")
SCRUB_NAMES = ("ZDOTDIR", "BASH_ENV", "ENV", "HISTFILE", "PROMPT_COMMAND", "ASSUMED_ROLE", "LEAPP_SESSION")
WHOAMI = "demo-whoami"


def require_moto() -> None:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        raise LetmeError("letme demo needs moto: install it with pip install 'letme-shell[demo]'") from None


def letme_dir(bin_dir: Path) -> str:
    """A directory whose `letme` is this installation: the running script's, else a shim in bin_dir."""
    from letme_shell import switch

    command = switch.letme_command()
    if len(command) == 1:
        return str(Path(command[0]).parent)
    shim = bin_dir / "letme"
    shim.write_text(f"#!/bin/sh\nexec {shlex.join(command)} \"$@\"\n", encoding="utf-8")
    shim.chmod(0o755)
    return str(bin_dir)


def environment(sandbox: dict[str, str], letme_bin: str, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith(SCRUB_PREFIXES) or k in SCRUB_NAMES)}
    env.update(sandbox)
    path = [letme_bin, str(bin_dir)] + [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p]
    env["PATH"] = os.pathsep.join(dict.fromkeys(path))
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no 1-second probe of an instance metadata service
    env["LETME_DEMO"] = sandbox["HOME"]
    return env


def _write_whoami(bin_dir: Path) -> None:
    # The "is it really that account?" check, with the same Python (and boto3) as letme.
    script = bin_dir / WHOAMI
    script.write_text(f"#!{sys.executable}\n"
                      "import boto3\n"
                      "print(boto3.client('sts').get_caller_identity()['Arn'])\n", encoding="utf-8")
    script.chmod(0o755)


class Demo:
    """The running demo: server, sandbox directory, environment. Use as a context manager."""

    def __init__(self, accounts: int = ACCOUNTS, quiet: bool = False):
        self.accounts = accounts
        self.quiet = quiet
        self.root: Path | None = None
        self.server: Any = None
        self.federation: Any = None
        self.endpoint = ""
        self.env: dict[str, str] = {}

    @property
    def home(self) -> Path:
        assert self.root is not None
        return self.root / "home"

    def __enter__(self) -> Demo:
        require_moto()
        self.root = Path(tempfile.mkdtemp(prefix="letme-demo-"))
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        from letme_shell import sampleorg

        # The seeding below runs boto3 in this process: the user's AWS_PROFILE or AWS files
        # must not reach it (a profile that exists only there would fail the demo).
        for name in [k for k in os.environ if k.startswith(SCRUB_PREFIXES) or k in SCRUB_NAMES]:
            del os.environ[name]
        os.environ["AWS_CONFIG_FILE"] = str(self.home / ".aws" / "config")
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(self.home / ".aws" / "credentials")
        ui.info("starting a local AWS (moto) on 127.0.0.1…")
        self.server, self.endpoint = sampleorg.start_server(record=False)
        org = sampleorg.seed(self.endpoint, count=self.accounts)
        # `letme console` signs in through this local stand-in, chosen by the sandbox config's federation_url.
        self.federation = sampleorg.FederationStandIn(self.endpoint)
        bin_dir = self.root / "bin"  # type: ignore[operator]
        bin_dir.mkdir()
        _write_whoami(bin_dir)
        sandbox = sampleorg.write_sandbox(self.home, org, extra=f'federation_url = "{self.federation.url}"\n')
        self.env = environment(sandbox, letme_dir(bin_dir), bin_dir)
        ui.info(f"seeded a sample organisation: hub user alice with an MFA device, {len(org.names)} accounts")
        init = subprocess.run(["letme", "init", *(["-q"] if self.quiet else [])], env=self.env,
                              stdin=subprocess.DEVNULL, stdout=sys.stderr)
        if init.returncode != 0:
            raise LetmeError("'letme init' failed inside the demo sandbox")

    def close(self) -> None:
        if self.federation is not None:
            with contextlib.suppress(Exception):
                self.federation.stop()
            self.federation = None
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.stop()
            self.server = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def run(self, command: list[str]) -> int:
        """One command in the sandbox; its exit status (128+N after signal N, as shells report it).

        While it runs, Ctrl-C is the command's (a no-op handler here, which exec resets
        for the child, unlike SIG_IGN), and SIGTERM/SIGHUP are passed on to it; the
        demo then cleans up after it.
        """
        try:
            child = subprocess.Popen(command, env=self.env)
        except FileNotFoundError:
            raise LetmeError(f"cannot run '{command[0]}': not found") from None
        except PermissionError:
            raise LetmeError(f"cannot run '{command[0]}': permission denied") from None

        def forward(signum: int, frame: FrameType | None) -> None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

        def ignore(signum: int, frame: FrameType | None) -> None:
            pass

        handlers = {signal.SIGINT: ignore, signal.SIGTERM: forward, signal.SIGHUP: forward}
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
        try:
            code = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 128 - code if code < 0 else code

    def banner(self) -> str:
        return "\n".join([
            f"letme demo: {self.accounts} sample accounts on a local moto server ({self.endpoint}).",
            f"This shell's HOME is a sandbox ({self.home}); your real ~/.aws is not touched.",
            "Try:",
            "  letme list                 the catalog, from the local cache",
            "  letme use example1         switch this shell; MFA code: any 6 digits, e.g. 123456",
            f"  {WHOAMI:<26} who am I? (boto3: sts get-caller-identity)",
            "  letme use example2         a 3-role chain; the MFA session is reused, no new code",
            "  letme use ex<TAB>          completion from the cached names",
            "  letme console example1 --print   a console sign-in URL (a local stand-in signs you in)",
            "  letme leave                back to no account",
            "  letme doctor               check the set-up",
            "  exit                       end the demo: stops the server, deletes the sandbox",
            "",
        ])

    def shell_command(self, name: str, program: str) -> list[str]:
        """The argv that starts `program` interactively with the hook loaded.

        The rc file is the sandbox HOME's own, so a shell started inside the demo
        (`letme shell example2`) loads the hook too."""
        if name == "bash":
            (self.home / ".bashrc").write_text("PS1='(letme demo) \\w \\$ '\n"
                                               'eval "$(letme hook bash)"\n', encoding="utf-8")
            return [program, "--noprofile", "-i"]
        if name == "zsh":
            (self.home / ".zshrc").write_text("PS1='(letme demo) %~ %# '\n"
                                              'autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"\n'
                                              'eval "$(letme hook zsh)"\n', encoding="utf-8")
            self.env["ZDOTDIR"] = str(self.home)
            return [program, "-i"]
        if name == "fish":
            config = Path(self.env.get("XDG_CONFIG_HOME", str(self.home / ".config"))) / "fish" / "config.fish"
            config.parent.mkdir(parents=True, exist_ok=True)
            # The prompt first: the hook wraps whatever fish_prompt exists when it loads.
            # With no generated_completions directory, fish's first interactive start runs
            # fish_update_completions in the background, which would write into the sandbox after
            # the demo removed it.
            data = Path(self.env.get("XDG_DATA_HOME", str(self.home / ".local" / "share")))
            (data / "fish" / "generated_completions").mkdir(parents=True, exist_ok=True)
            config.write_text("function fish_greeting; end\n"
                              "function fish_prompt; printf '(letme demo) %s> ' (prompt_pwd); end\n"
                              "letme hook fish | source\n", encoding="utf-8")
            return [program, "--interactive"]
        raise LetmeError(f"the demo cannot start a {name} shell", "try --shell bash, zsh or fish")


def pick_shell(requested: str | None) -> tuple[str, str]:
    """(name, executable): --shell, else the shell running letme (shellingham), else $SHELL, else bash."""
    from letme_shell import shells

    candidates: list[tuple[str | None, str | None]] = []
    if requested:
        chosen = shells.get(requested).name
        if chosen not in ("bash", "zsh", "fish"):
            raise LetmeError(f"the demo starts bash, zsh or fish, not {chosen}", "e.g. letme demo --shell bash",
                             ExitCode.USAGE)
        candidates.append((chosen, shutil.which(chosen)))
    else:
        candidates.append(shells.detect_program())
        env_shell = os.environ.get("SHELL")
        if env_shell:
            candidates.append((shells._known(env_shell), env_shell))
        candidates.append(("bash", shutil.which("bash")))
    for name, path in candidates:
        if name in ("bash", "zsh", "fish") and path and shutil.which(path):
            return name, path
    if requested:
        raise LetmeError(f"cannot find the {requested} executable on PATH")
    raise LetmeError("the demo needs bash, zsh or fish, and none was found")


@contextlib.contextmanager
def signals_end_the_demo() -> Iterator[None]:
    """SIGTERM/SIGHUP while the server starts end the demo through the normal clean-up."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def interactive(demo: Demo, name: str, program: str) -> int:
    """Run the shell `pick_shell` chose in the running demo."""
    command = demo.shell_command(name, program)
    sys.stderr.write(demo.banner())
    code = demo.run(command)
    ui.info("demo over: server stopped, sandbox removed")
    return code
