"""The coach against a person, on recorded runs: every template trained briefly, and a few changed to show
each thing the coach should name (tests/insight/coach_runs/*.json, recorded by scripts/record_coach_runs.py;
each file's "expected" and "why" are the verdict a person gave after looking at its curves). The coach
must give the same verdicts at the run's end, and on a run a person finds healthy it must flag nothing
after any of its epochs either."""
import json
from pathlib import Path

import pytest

from netbuilder.graph import io
from netbuilder.insight.coach import MIN_EPOCHS, assess
from netbuilder.layers import check_node

RECORDED = Path(__file__).parent / "coach_runs"
TEMPLATES = Path(__file__).parents[2] / "templates"
CASES = sorted(RECORDED.glob("*.json"))


def reading(case: dict, epochs: int | None = None):
    graph = io.load(TEMPLATES / f"{case['template']}.json", check_node)
    for name, values in case["changes"]["params"].items():
        graph.by_name(name).params.update(values)
    graph.meta["training"] = case["settings"]
    rows = case["epochs"][:epochs] if epochs else case["epochs"]
    return assess(rows, graph, case["settings"], case["images"], case["baseline"], case["classes"])


def test_every_template_is_recorded():
    recorded = {json.loads(p.read_text())["template"] for p in CASES}
    assert recorded == {p.stem for p in TEMPLATES.glob("*.json")}
    assert all(json.loads(p.read_text())["expected"] is not None for p in CASES), "a recorded run has no verdict"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_coach_gives_the_verdict_a_person_gave(path):
    case = json.loads(path.read_text())
    found = reading(case)
    assert [v.kind for v in found.verdicts] == case["expected"], f"{case['why']}\ncoach: {found.text}"
    if not case["expected"]:  # healthy: nothing flagged along the way either
        for epochs in range(MIN_EPOCHS, len(case["epochs"])):
            assert reading(case, epochs).verdicts == [], f"after {epochs} epochs: {reading(case, epochs).text}"
