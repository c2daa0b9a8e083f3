"""One test walks every installed workflow's structure (the registry-walking invariant)."""

from pathlib import Path

import pytest

from kiosk import engine, workflows

TEMPLATES = Path(engine.__file__).parent / "templates"


@pytest.mark.parametrize("workflow", workflows.WORKFLOWS, ids=lambda w: w.key)
def test_workflow_structure(workflow):
    assert engine.check(workflow) == []
    assert workflows.get(workflow.key) is workflow
    table = engine.describe(workflow)
    for step in workflow.steps:
        assert f"| {step.id} |" in table
        assert (TEMPLATES / f"_step_{step.kind}.html").is_file()
    # The first step must be reachable, and every step reachable from it by next/options.
    reachable, todo = set(), [workflow.steps[0].id]
    ids = [s.id for s in workflow.steps]
    while todo:
        sid = todo.pop()
        if sid in reachable or sid == "__end__":
            continue
        reachable.add(sid)
        step = workflow.step(sid)
        index = ids.index(sid)
        if index + 1 < len(ids):
            todo.append(ids[index + 1])
        for target in [step.next, step.finish, *[o.next for o in step.options]]:
            if isinstance(target, str):
                todo.append(target)
    assert reachable == set(ids)


def test_keys_are_unique():
    keys = [w.key for w in workflows.WORKFLOWS]
    assert len(keys) == len(set(keys))


def test_check_catches_broken_definitions():
    def nameless(run, value):
        return None

    broken = engine.Workflow(
        key="broken", title="Broken", sop="", version=1, roles=("manager",),
        steps=(engine.scan("a", "Scan", expect=(), guards=(nameless,), next="nowhere"),
               engine.sign_off("a", "Sign", signers=(engine.Signer((), "liked"),))))
    problems = engine.check(broken)
    assert "step ids are not unique" in problems
    assert any("next step nowhere does not exist" in p for p in problems)
    assert any("must say what it expects" in p for p in problems)
    assert any("needs roles and a meaning" in p for p in problems)
    assert any("docstring" in p for p in problems)
    assert any("SOP id" in p for p in problems)
