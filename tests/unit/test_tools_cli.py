"""`python -m tools`: the commands and their failure modes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from platform_core import local_state
from tools import __main__ as cli
from tools import status


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("demo", "status", "query", "load", "lake"))


def test_unknown_command_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2


def test_a_missing_dependency_inside_a_command_is_not_hidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "broken_command.py").write_text("import no_such_dependency_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def broken(argv: list[str]) -> int:
        import broken_command  # noqa: F401

        return 0

    monkeypatch.setitem(cli.COMMANDS, "broken", (broken, "imports something missing"))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_anywhere"):
        cli.main(["broken"])


def test_commands_get_their_arguments_and_return_their_status(monkeypatch: pytest.MonkeyPatch) -> None:
    _SEEN.clear()
    monkeypatch.setitem(cli.COMMANDS, "echo", (_echo, "test"))
    assert cli.main(["echo", "--flag", "x"]) == 3
    assert _SEEN == [["--flag", "x"]]


_SEEN: list[list[str]] = []


def _echo(argv: list[str]) -> int:
    _SEEN.append(argv)
    return 3


def test_status_without_a_running_platform_is_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "platform.json"
    monkeypatch.setattr(status, "read_state", lambda: local_state.read_state(state))
    assert status.main([]) == 1
    assert "No local platform is running" in " ".join(capsys.readouterr().out.split())

    # A state file left by a process that is gone is reported, not trusted.
    dead_pid = 2**22 + 12345
    state.write_text(json.dumps({"pid": dead_pid, "gateway_url": "http://127.0.0.1:1"}))
    assert not os.path.exists(f"/proc/{dead_pid}")
    assert status.main([]) == 1
    assert "is not running" in " ".join(capsys.readouterr().out.split())
