"""The offline Terraform checks run by `make test` and `make tf-check`.

`terraform init` cannot download the hashicorp/aws provider here, so neither
`terraform validate` nor `plan` can run. What stands in for them (see
docs/terraform-checks.md for what each one proves):

  fmt       terraform fmt -check -recursive over terraform/ and modules/
  test      terraform init -backend=false + terraform test in every provider-free module
  wiring    module arguments, required variables, module outputs, var/local/resource references
  schema    every aws_* resource, data source and provider block against the pinned provider schema
  iam       no Allow of `*`/`service:*` actions or `*` resources but the listed exceptions (iam_check.py)
  checkov   checkov --skip-download on terraform/ and modules/, zero failed checks
  docs      every module README's generated part matches the code (docs.py; make tf-docs rewrites)
  asl       every Step Functions definition, rendered as Terraform would, against asl-validator (asl.py)
  services  every declared service's spec as Terraform evaluates it (modules/service_specs), checked
            against platform_core's names and environments, api/openapi.yaml and the IAM rules
            (services.py); --config <file> evaluates another configuration, --only services alone

Prints one line per check (problems indented under it) and closes with
`terraform: N passed, M failed`; the exit code is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scripts.terraform.asl import check_state_machines
from scripts.terraform.docs import sync as sync_module_docs
from scripts.terraform.hcl import REPO_ROOT, TERRAFORM_ROOTS, Configuration, load_all, provider_free, relative
from scripts.terraform.iam_check import check_iam
from scripts.terraform.schema_check import check_schema, load_schema
from scripts.terraform.services import check_services
from scripts.terraform.wiring import check_wiring

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


@dataclass
class Result:
    name: str
    problems: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def terraform_env(data_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    if data_dir is not None:
        # Keeps .terraform/ out of the module directories.
        env["TF_DATA_DIR"] = str(data_dir)
    return env


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def check_fmt(root: Path) -> Result:
    result = Result("terraform fmt", detail="terraform/, modules/")
    for top in TERRAFORM_ROOTS:
        if not (root / top).is_dir():
            continue
        proc = _run(["terraform", "fmt", "-check", "-recursive", "-no-color", top], root, terraform_env())
        if proc.returncode != 0:
            unformatted = proc.stdout.split() or [proc.stderr.strip()]
            result.problems += [f"{f}: not formatted (run terraform fmt -recursive)" for f in unformatted]
    return result


def check_module_tests(root: Path, configs: list[Configuration]) -> list[Result]:
    by_path = {c.path: c for c in configs}
    results = []
    for config in configs:
        if config.path.parent != root / "modules" or not provider_free(config, by_path):
            continue
        name = f"terraform test {relative(config.path)}"
        if not list(config.path.glob("tests/*.tftest.hcl")) and not list(config.path.glob("*.tftest.hcl")):
            results.append(Result(name, [f"{relative(config.path)}: provider-free but has no *.tftest.hcl"]))
            continue
        with tempfile.TemporaryDirectory() as data_dir:
            env = terraform_env(Path(data_dir))
            init = _run(
                ["terraform", "init", "-backend=false", "-input=false", "-no-color"], config.path, env
            )
            if init.returncode != 0:
                results.append(Result(name, [f"terraform init failed offline:\n{init.stderr.strip()}"]))
                continue
            test = _run(["terraform", "test", "-no-color"], config.path, env)
        summary = next((ln for ln in test.stdout.splitlines()[::-1] if "passed" in ln), "").strip()
        if test.returncode != 0:
            failed = [ln.strip() for ln in test.stdout.splitlines() if ln.rstrip().endswith("... fail")]
            results.append(Result(name, [*failed, summary or test.stderr.strip()[-2000:]], detail=summary))
        else:
            results.append(Result(name, detail=summary))
    return results


def start_checkov(root: Path) -> list[tuple[str, subprocess.Popen[str]]] | None:
    """One checkov per top directory, in parallel: scanning terraform/ expands every module per root."""
    if not CHECKOV.exists():
        return None
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
    procs = []
    for top in TERRAFORM_ROOTS:
        if not (root / top).is_dir():
            continue
        # Not --quiet: that drops the skipped checks, whose reasons finish_checkov verifies.
        cmd = [str(CHECKOV), "--config-file", ".checkov.yaml", "-d", top, "--skip-download", "-o", "json"]
        out = subprocess.PIPE
        procs.append((top, subprocess.Popen(cmd, cwd=root, env=env, text=True, stdout=out, stderr=out)))
    return procs


def _json_documents(text: str) -> list[Any]:
    """checkov prints one JSON document per -d directory (and per framework), one after the other."""
    decoder = json.JSONDecoder()
    documents, index = [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents += document if isinstance(document, list) else [document]
    return documents


def config_skips_without_reason(config_file: Path) -> list[str]:
    """Entries of skip-check in .checkov.yaml that carry no `# reason` comment on their line."""
    skips = (yaml.safe_load(config_file.read_text()) or {}).get("skip-check") or []
    lines = config_file.read_text().splitlines()
    problems = []
    for check_id in skips:
        line = next((ln for ln in lines if ln.lstrip().startswith(f"- {check_id}")), "")
        if not line.partition("#")[2].strip():
            problems.append(
                f"{config_file.name}: skip of {check_id} has no reason (write `- {check_id}  # why`)"
            )
    return problems


def finish_checkov(procs: list[tuple[str, subprocess.Popen[str]]] | None, root: Path) -> Result:
    result = Result("checkov")
    if procs is None:
        result.problems.append(f"{relative(CHECKOV)} is missing: run `make setup`")
        return result
    reports: list[Any] = []
    for top, proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        try:
            documents = _json_documents(stdout)
        except json.JSONDecodeError:
            documents = []
        if proc.returncode not in (0, 1) or not documents:
            result.problems.append(f"checkov -d {top} exited {proc.returncode}:\n{stderr[-2000:]}")
        reports += documents
    passed = failed = skipped = 0
    for report in reports:
        # A directory with nothing to scan gives a bare summary, with no results.
        summary = report.get("summary", report)
        passed += summary.get("passed", 0)
        skipped += summary.get("skipped", 0)
        failed += summary.get("failed", 0)
        results = report.get("results", {})
        for check in results.get("failed_checks", []):
            result.problems.append(
                f"{_checkov_where(check)}: {check['check_id']} {check.get('check_name', '')}"
            )
        for check in results.get("skipped_checks", []):
            reason = check.get("check_result", {}).get("suppress_comment", "")
            if not reason or reason == "No comment provided":
                result.problems.append(
                    f"{_checkov_where(check)}: skip of {check['check_id']} has no reason "
                    f"(write #checkov:skip={check['check_id']}:<why>)"
                )
        for error in results.get("parsing_errors", []):
            result.problems.append(f"{error}: checkov could not parse it")
    result.problems += config_skips_without_reason(root / ".checkov.yaml")
    # A module's finding shows up once per root that calls it: report it once.
    result.problems = list(dict.fromkeys(result.problems))
    result.detail = f"{passed} passed, {failed} failed, {skipped} skipped inline with a reason"
    return result


def _checkov_where(check: dict[str, Any]) -> str:
    first_line = check.get("file_line_range", [0])[0]
    return f"{check.get('repo_file_path', check['file_path']).lstrip('/')}:{first_line}: {check['resource']}"


CHECKS = ("fmt", "test", "wiring", "schema", "iam", "asl", "docs", "services", "checkov")


def _configuration_checks(configs: list[Configuration], root: Path, wanted: set[str]) -> list[Result]:
    """The checks that read the parsed configurations."""
    results: list[Result] = []
    if "test" in wanted:
        results += check_module_tests(root, configs)
    checks = {
        "wiring": ("wiring", lambda: check_wiring(configs)),
        "schema": ("provider schema", lambda: check_schema(configs, load_schema())),
        "iam": ("iam", lambda: check_iam(configs, root)),
        "asl": ("state machines", lambda: check_state_machines(configs)),
    }
    for key, (name, check) in checks.items():
        if key in wanted:
            problems, summary = check()
            results.append(Result(name, problems, summary))
    return results


def run(
    root: Path, with_checkov: bool = True, only: tuple[str, ...] = (), config_path: Path | None = None
) -> tuple[list[Result], list[str]]:
    """The results, and the services check's one line per service (shown with --only services)."""
    if shutil.which("terraform") is None:
        return [Result("terraform", ["terraform is not on PATH (the checks need Terraform >= 1.10)"])], []
    wanted = set(only or CHECKS) - (set() if with_checkov else {"checkov"})
    # checkov is the slow one: it runs alongside the others.
    checkov = start_checkov(root) if "checkov" in wanted else None
    configs = load_all(root) if wanted & {"test", "wiring", "schema", "iam", "asl"} else []
    results = [check_fmt(root)] if "fmt" in wanted else []
    results += _configuration_checks(configs, root, wanted)
    if "docs" in wanted:
        results.append(Result("module docs", *sync_module_docs(root)))
    report: list[str] = []
    if "services" in wanted:
        problems, summary, report = check_services(config_path or root / "config" / "platform.yaml")
        results.append(Result("services", problems, summary))
    if "checkov" in wanted:
        results.append(finish_checkov(checkov, root))
    return results, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Offline Terraform checks")
    parser.add_argument("--no-checkov", action="store_true", help="skip checkov (the slow one)")
    parser.add_argument(
        "--only",
        action="append",
        choices=CHECKS,
        help="run only this check (repeatable); --only services lists each service",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="the configuration file the services check evaluates (default config/platform.yaml)",
    )
    args = parser.parse_args(argv)
    start = time.monotonic()
    only = tuple(args.only or ())
    results, report = run(REPO_ROOT, with_checkov=not args.no_checkov, only=only, config_path=args.config)
    for result in results:
        status = "PASS" if result.ok else "FAIL"
        print(f"{status}  {result.name}" + (f"  ({result.detail})" if result.detail else ""))
        for problem in result.problems:
            print("      " + problem.replace("\n", "\n      "))
    if "services" in only:
        for line in report:
            print("      " + line)
    passed = sum(r.ok for r in results)
    print(f"({time.monotonic() - start:.1f}s)")
    print(f"terraform: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
