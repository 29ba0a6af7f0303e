"""Module READMEs: the generated tables read as HCL, and a README that drifts from the code fails."""

from __future__ import annotations

from pathlib import Path

from scripts.terraform import docs

VARIABLES = """
variable "names" {
  description = "Team => <project>-<env>-<team> | pipe"
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.names) < 10
    error_message = "too many"
  }
}

variable "limits" {
  description = "Rate and burst."
  type = object({
    rate  = number # per second
    burst = optional(number, 2)
  })
  default = {
    rate  = 1
    burst = 2
  }
}

variable "arn" {
  description = "Required, nullable."
  type        = string
}

variable "maybe" {
  description = "Optional, null by default."
  type        = map(string)
  default     = null
}
"""

OUTPUTS = """
output "id" {
  description = "The id."
  value       = var.arn
}
"""


def _module(root: Path, name: str = "thing", variables: str = VARIABLES) -> Path:
    path = root / "modules" / name
    path.mkdir(parents=True)
    (path / "variables.tf").write_text(variables)
    (path / "outputs.tf").write_text(OUTPUTS)
    (path / "README.md").write_text(f"# {name}\n\nWritten by hand.\n")
    return path


def test_fold_puts_a_multiline_expression_on_one_line() -> None:
    assert docs.fold("object({\n  a   = string # why\n  b = optional(list(string), [])\n})") == (
        "object({ a = string, b = optional(list(string), []) })"
    )
    assert docs.fold('[\n  "a",\n  "b",\n]') == '["a", "b"]'
    assert docs.fold("{}") == "{}"


def test_types_and_defaults_render_as_hcl(tmp_path: Path) -> None:
    module = _module(tmp_path)
    docs.sync(tmp_path, write=True)
    readme = (module / "README.md").read_text()
    assert readme.startswith("# thing\n\nWritten by hand.\n")
    assert (
        "| `names` | Team =&gt; &lt;project&gt;-&lt;env&gt;-&lt;team&gt; \\| pipe | `list(string)` | `[]` | no |"
        in readme
    )
    assert (
        "`object({ rate = number, burst = optional(number, 2) })` | `{ rate = 1, burst = 2 }` | no |"
        in readme
    )
    assert "| `arn` | Required, nullable. | `string` | n/a | yes |" in readme
    assert "| `maybe` | Optional, null by default. | `map(string)` | `null` | no |" in readme
    assert "| `id` | The id. |" in readme
    # No parser reprs anywhere.
    assert "${" not in readme and "None" not in readme and "['" not in readme


def test_a_readme_that_differs_from_the_code_is_reported_then_rewritten(tmp_path: Path) -> None:
    module = _module(tmp_path)
    docs.sync(tmp_path, write=True)
    (module / "variables.tf").write_text(VARIABLES.replace("Required, nullable.", "Renamed."))
    problems, summary = docs.sync(tmp_path)
    assert len(problems) == 1
    assert problems[0].endswith("modules/thing/README.md: differs from the code (run make tf-docs)")
    assert summary == "1 module READMEs, 1 out of date"
    docs.sync(tmp_path, write=True)
    assert docs.sync(tmp_path) == ([], "1 module READMEs, 0 out of date")
    assert "| `arn` | Renamed. |" in (module / "README.md").read_text()


def test_undescribed_untyped_and_unvalidated_inputs_are_reported(tmp_path: Path) -> None:
    _module(tmp_path, variables='variable "x" {\n  default = 1\n}\n')
    problems, _ = docs.sync(tmp_path, write=True)
    assert any("variable x has no type" in p for p in problems)
    assert any("variable x has no description" in p for p in problems)
    assert any("no variable is validated" in p for p in problems)


def test_the_repository_readmes_match_the_code() -> None:
    problems, _ = docs.sync()
    assert problems == []
