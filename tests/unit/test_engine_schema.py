"""The local engine types queries from the schema it built once, and builds it again after a statement
that changes a table or view."""

from __future__ import annotations

from pathlib import Path

from local_platform.query.engine import LocalEngine


def test_a_view_created_by_a_statement_is_known_to_the_next_query(tmp_path: Path) -> None:
    engine = LocalEngine(tmp_path / "lake")
    try:
        assert "events" in engine.schema()
        assert engine.schema() is engine.schema()  # kept, not described again
        engine.execute("CREATE VIEW answers AS SELECT 42 AS answer")
        assert "answers" in engine.schema()
        assert engine.execute("SELECT answer FROM answers").to_pylist() == [{"answer": 42}]
    finally:
        engine.close()
