"""The lake pipeline's Step Functions definition, run locally by moto's Step Functions interpreter.

modules/data_lake/lake_pipeline.asl.json.tftpl is the one definition: Terraform
renders it with templatefile(), and render_definition() renders the same file
here with the local platform's names. moto executes a state machine's states
when its config says `stepfunctions: execute_state_machine` (in a moto server:
POST /moto-api/config with {"stepfunctions": {"execute_state_machine": true}};
in process: mock_aws(config=...)). Its interpreter runs the Glue .sync
integration against moto's Glue and the SNS one against moto's SNS, but has no
Athena integration (it refuses .sync for Athena): AthenaTask supplies Step
Functions' optimized Athena integration (startQueryExecution with and without
.sync, getQueryResults), answered by the local Athena engine over the lake
mirror, with Athena's execution parameters and result-set shape.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platform_core.config import ROOT

TEMPLATE = ROOT / "modules" / "data_lake" / "lake_pipeline.asl.json.tftpl"
CHECKS_DIR = ROOT / "athena" / "checks"


def render_definition(variables: Mapping[str, str], template: Path = TEMPLATE) -> str:
    """Terraform's templatefile() for what the definition uses: ${name} (string variables), $${ escapes."""
    text = template.read_text(encoding="utf-8")
    if "%{" in text:
        raise ValueError("template directives (%{...}) are not rendered here")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise KeyError(f"{template.name} uses ${{{name}}}, which was not given")
        return variables[name]

    rendered = re.sub(r"(?<!\$)\$\{(\w+)\}", substitute, text)
    return rendered.replace("$${", "${")


def checks_input(checks_dir: Path = CHECKS_DIR) -> dict[str, Any]:
    """The execution input the schedule sends (modules/data_lake/pipeline.tf): every check, and whether it
    takes the cutoff parameter."""
    checks = []
    for path in sorted(checks_dir.glob("*.sql")):
        query = path.read_text(encoding="utf-8")
        checks.append({"name": path.stem, "query": query, "has_cutoff": "?" in query})
    return {"checks": checks}


# --- Athena, answered by the local engine -------------------------------------------------------


@dataclass
class QueryExecution:
    id: str
    query: str
    state: str = "QUEUED"
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    reason: str = ""

    def as_athena(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state}
        if self.reason:
            status["StateChangeReason"] = self.reason
        return {"QueryExecutionId": self.id, "Query": self.query, "Status": status}


class LocalAthena:
    """Query executions run by the local Athena engine over a lake mirror (local_platform.query.engine)."""

    def __init__(self, lake_root: Path):
        self.lake_root = lake_root
        self.executions: dict[str, QueryExecution] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, query: str, parameters: list[str]) -> QueryExecution:
        from local_platform.query.engine import LocalEngine

        with self._lock:
            execution = QueryExecution(id=f"local-{next(self._ids):08d}", query=query)
            self.executions[execution.id] = execution
        engine = LocalEngine(self.lake_root)
        try:
            table = engine.execute(query, parameters, source=f"query {execution.id}")
        except Exception as exc:  # Athena reports a failed query in its status, with the reason
            execution.state, execution.reason = "FAILED", str(exc)
            return execution
        finally:
            engine.close()
        execution.columns = table.column_names
        execution.rows = [[None if v is None else str(v) for v in row.values()] for row in table.to_pylist()]
        execution.state = "SUCCEEDED"
        return execution

    def results(self, execution_id: str, max_results: int | None = None) -> dict[str, Any]:
        """GetQueryResults' first page: the column names as the first row, then the data rows."""
        execution = self.executions[execution_id]
        header = {"Data": [{"VarCharValue": c} for c in execution.columns]}
        data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in execution.rows]
        rows = [header, *data][: max_results or None]
        return {
            "ResultSet": {
                "Rows": rows,
                "ResultSetMetadata": {
                    "ColumnInfo": [{"Name": c, "Type": "varchar"} for c in execution.columns]
                },
            },
            "UpdateCount": 0,
        }


# The parameters Step Functions passes through for each Athena action it integrates.
_ATHENA_PARAMETERS = {
    "startqueryexecution": {
        "QueryString",
        "ClientRequestToken",
        "QueryExecutionContext",
        "ResultConfiguration",
        "WorkGroup",
        "ExecutionParameters",
        "ResultReuseConfiguration",
    },
    "getqueryresults": {"QueryExecutionId", "MaxResults", "NextToken"},
}


def _athena_call(athena: LocalAthena, action: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """What an Athena API action answers, from the local Athena."""
    if action.lower() == "startqueryexecution":
        execution = athena.start(parameters["QueryString"], list(parameters.get("ExecutionParameters", [])))
        return {"QueryExecutionId": execution.id}
    if action.lower() == "getqueryresults":
        return athena.results(parameters["QueryExecutionId"], parameters.get("MaxResults"))
    raise RuntimeError(f"athena:{action} is not emulated locally")


def _athena_task_class() -> type:
    """Step Functions' optimized Athena integration for moto's interpreter (built lazily: moto internals)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )

    class AthenaTask(StateTaskServiceCallback):
        athena: LocalAthena | None = None

        def __init__(self) -> None:
            patterns: Any = {ResourceCondition.WaitForTaskToken, ResourceCondition.Sync}
            super().__init__(supported_integration_patterns=patterns)

        def _get_supported_parameters(self) -> set[str] | None:
            return _ATHENA_PARAMETERS.get(self.resource.api_action.lower())

        def _local(self) -> LocalAthena:
            if AthenaTask.athena is None:
                raise RuntimeError("no local Athena installed (local_platform.lake.orchestration.install)")
            return AthenaTask.athena

        def _eval_service_task(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
        ) -> None:
            env.stack.append(_athena_call(self._local(), self.resource.api_action, normalised_parameters))

        def _build_sync_resolver(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
        ) -> Callable[[], Any]:
            started = env.stack.pop()
            execution = self._local().executions[started["QueryExecutionId"]]

            def resolve() -> Any:
                if execution.state == "FAILED":
                    # What Step Functions raises when a .sync Athena query fails.
                    raise RuntimeError(f"Athena query {execution.id} failed: {execution.reason}")
                return {"QueryExecution": execution.as_athena()}

            return resolve

    return AthenaTask


_INSTALLED: dict[str, Any] = {}


def _json_strings_decoded() -> None:
    """An intrinsic function is a JSON string: moto parses its text with the JSON escapes kept (a JSON "\\\\"
    stays two backslashes), so one written for AWS reads differently; decode it as JSON first."""
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringIntrinsicFunction,
    )
    from moto.stepfunctions.parser.asl.component.intrinsic.function.function import Function
    from moto.stepfunctions.parser.asl.parse.intrinsic.intrinsic_parser import IntrinsicParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def visit(self: Any, ctx: Any) -> Any:
        derivation = str(json.loads(ctx.STRINGINTRINSICFUNC().getText()))
        function: Function = IntrinsicParser.parse(derivation)[0]
        return StringIntrinsicFunction(intrinsic_function_derivation=derivation, function=function)

    Preprocessor.visitString_intrinsic_function = visit  # type: ignore[method-assign]


def _intrinsic_escapes_as_aws_reads_them() -> None:
    """In an intrinsic function's string literal, \\' \\{ \\} and \\\\ stand for the character (AWS's
    documented escapes; the checks' cutoff is quoted with them); moto keeps the backslash of all but \\"."""
    from moto.stepfunctions.parser.asl.parse.intrinsic.preprocessor import Preprocessor

    original = Preprocessor._replace_escaped_characters

    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1)
        return escaped if escaped in "'{}\\" else str(original(match))

    Preprocessor._replace_escaped_characters = staticmethod(replace)  # type: ignore[method-assign]


def _start_time_as_aws_gives_it() -> None:
    """$$.Execution.StartTime is an ISO 8601 string in AWS ("2026-03-01T10:00:00.123Z"); moto puts a
    datetime in the context object, which States.Format cannot print (the checks' cutoff uses it)."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def environment(self: Any) -> Any:
        env = original(self)
        execution = env.states.context_object.context_object_data["Execution"]
        started = execution["StartTime"]
        if isinstance(started, datetime):
            execution["StartTime"] = (
                started.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            )
        return env

    ExecutionWorker._get_evaluation_environment = environment  # type: ignore[method-assign]


def install(athena: LocalAthena) -> None:
    """Make moto's Step Functions interpreter run Athena tasks on `athena` (in this process)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource,
        state_task_service_glue,
    )

    # moto's Glue .sync ends by interrupting the task's callback endpoint, which it only creates for a
    # task that supports waitForTaskToken: without this every Glue .sync task fails with a
    # "'NoneType' object has no attribute 'interrupt_all'" runtime error. Step Functions' Glue integration
    # does support waitForTaskToken, so saying so is also what AWS does.
    patterns: Any = state_task_service_glue._SUPPORTED_INTEGRATION_PATTERNS
    patterns.add(resource.ResourceCondition.WaitForTaskToken)
    if "task" not in _INSTALLED:
        _start_time_as_aws_gives_it()
        _json_strings_decoded()
        _intrinsic_escapes_as_aws_reads_them()
        task = _athena_task_class()
        original = state_task_factory.state_task_service_for

        def service_for(service_name: str) -> Any:
            return task() if service_name == "athena" else original(service_name=service_name)

        state_task_factory.state_task_service_for = service_for
        _INSTALLED["task"] = task
    _INSTALLED["task"].athena = athena
