"""Evaluate a Terraform expression offline: a scratch root, `terraform init`, `terraform console`.

Only provider-free configurations can be evaluated here (the provider cannot be downloaded);
the services check and the state-machine check build such roots.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


class EvaluationError(RuntimeError):
    """Terraform refused the configuration or the expression (its diagnostics are the message)."""


def _terraform(args: list[str], root: Path, stdin: str | None = None) -> str:
    env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    env["TF_DATA_DIR"] = str(root / ".terraform")
    proc = subprocess.run(
        ["terraform", *args],
        cwd=root,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # console reports a refused input on stderr, exits 0 and prints "(known after apply)".
    if proc.returncode != 0 or (args[0] == "console" and not proc.stdout.strip().startswith('"')):
        raise EvaluationError(f"terraform {args[0]}: {(proc.stderr.strip() or proc.stdout.strip())}")
    return proc.stdout


def evaluate(main_tf: Callable[[Path], str], variables: dict[str, Any], expression: str) -> Any:
    """The value of `expression` in a root whose main.tf is `main_tf(root)` (the root's path lets it
    name local modules by relative path, as Terraform requires) and whose variables are `variables`."""
    if shutil.which("terraform") is None:
        raise EvaluationError("terraform is not on PATH (the checks need Terraform >= 1.10)")
    with tempfile.TemporaryDirectory(prefix="tf-console-") as scratch:
        root = Path(scratch)
        (root / "main.tf").write_text(main_tf(root))
        (root / "terraform.tfvars.json").write_text(json.dumps(variables))
        _terraform(["init", "-backend=false", "-input=false", "-no-color"], root)
        output = _terraform(["console", "-no-color"], root, stdin=f"jsonencode({expression})\n")
    # console prints the JSON text as an HCL string literal, which reads as a JSON string.
    return json.loads(json.loads(output.strip()))
