"""The procedures this kiosk runs, one module each. Add a workflow by adding it to WORKFLOWS."""

from __future__ import annotations

from kiosk.workflows import (
    close_store,
    cycle_count,
    destroy,
    move_package,
    open_store,
    paper_manifest,
    pick,
    quarantine,
    recall,
    receiving,
    release,
    return_to_vendor,
    variance_investigation,
    vault_entry,
    visitor,
)

WORKFLOWS = (vault_entry.WORKFLOW, move_package.WORKFLOW, receiving.WORKFLOW,
             paper_manifest.WORKFLOW, cycle_count.WORKFLOW, variance_investigation.WORKFLOW,
             visitor.WORKFLOW, open_store.WORKFLOW, close_store.WORKFLOW, pick.WORKFLOW,
             quarantine.WORKFLOW, release.WORKFLOW, recall.WORKFLOW, destroy.WORKFLOW,
             return_to_vendor.WORKFLOW)

_BY_KEY = {w.key: w for w in WORKFLOWS}


def get(key: str):
    """The workflow with this key, or None."""
    return _BY_KEY.get(key)


def visible_to(employee) -> list:
    """The workflows this person may start."""
    return [w for w in WORKFLOWS if employee.has_any(w.roles)]
