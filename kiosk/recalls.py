"""Recalls (SOP §5, a recall notice): which packages of the store a recall names, where each
one is, the one step that holds them all, and how far bringing them into the cage has come.

A recall names an item, a batch (lot) number, a source package tag (the packages made from
it, as their manifests listed it, and that package itself if the store has it) or a lab test
batch (the packages received with that COA; ``origins``). The kiosk looks everywhere: vault
shelves, the sales floor, packages a runner has taken for an open pick, and the cage itself.
Holding them is ``holds.hold`` for each (never sellable, never pickable, the POS and Metrc
told, a quarantine label queued), with the recall on each hold; a package a runner holds for
a pick is withdrawn from that pick; a package on the sales floor gets a pick-back task in
the live queue, which a runner claims and finishes by putting it in the cage
(``quarantine``).
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN, fn

from kiosk import holds, origins, picks
from kiosk.models import Item, Location, Package, PackageHold, Recall, RecallPackage
from kiosk.models.picks import IN_HAND, UNFINISHED, PickedPackage, PickLine, PickRequest
from kiosk.words import _, kept_forms

KINDS = {"batch": _("Batch or lot number"), "item": _("Item"), "source": _("Source package"),
         "lab": _("Lab test batch")}
GONE = ("destroyed", "returned", "not_received", "empty", "rejected")
PLACE_WORDS = {"vault": _("Vault"), "floor": _("Sales floor"),
               "pick": _("Taken for an open pick"), "cage": _("Already in the cage")}
PICK_BACK = "recall_pickback"  # the queue's kind for "bring this recalled package back"


@dataclass
class Found:
    package: Package
    place: str  # vault | floor | pick | cage
    held: bool  # already on hold as a whole
    how: str = ""  # how the recall matched it, in words


def describe(kind: str, value: str) -> str:
    """The recall as the screens name it: "Batch GC-BD-2611"."""
    if kind == "item":
        item = Item.get_or_none(Item.id == int(value))
        return _("Item {name}", name=item.name if item else value)
    if kind == "source":
        return _("Source package {tag}", tag=value.strip().upper())
    if kind == "lab":
        return _("Lab test batch {batch}", batch=value.strip().upper())
    return _("Batch {batch}", batch=value)


# What a recall's records keep in English (its description, each hold's reason, how a
# package matched): ``Known`` says them again in the reader's language.
kept_forms(_("Recalled: {description} ({notice})"), _("Recalled: {description}"),
           _("Item {name}"), _("Source package {tag}"), _("Lab test batch {batch}"),
           _("Batch {batch}"), _("item {name}"), _("batch {batch}"),
           _("is the source package itself"),
           _("made from source package {value} (manifest {manifest})"),
           _("made from source package {value} (on file)"),
           _("received with lab test batch (COA) {value} (manifest {manifest})"),
           _("received with lab test batch (COA) {value} (on file)"),
           _("{description}: put it in the cage"))


def matching(kind: str, value: str):
    """Every package of the store the recall names that is still here, oldest first."""
    query = (Package.select(Package, Item, Location).join(Item).switch(Package)
             .join(Location, JOIN.LEFT_OUTER, on=(Package.location == Location.id))
             .where(Package.status.not_in(GONE)))
    wanted = value.strip().upper()
    if kind == "item":
        query = query.where(Package.item == int(value))
    elif kind == "source":  # made from it, or the source package itself
        query = query.where(Package.id.in_(origins.package_ids("source", wanted))
                            | (Package.tag == wanted))
    elif kind == "lab":
        query = query.where(Package.id.in_(origins.package_ids("lab", wanted)))
    else:
        query = query.where(fn.UPPER(Package.batch) == wanted)
    return query.order_by(Package.id)


def _how(kind: str, value: str, packages: list[Package]) -> dict[int, str]:
    """How each package matched the recall, in words."""
    if kind in ("source", "lab"):
        found = origins.how(kind, value, [p.id for p in packages])
        for package in packages:
            if kind == "source" and package.tag == value.strip().upper():
                found.setdefault(package.id, _("is the source package itself"))
        return found
    if kind == "item":
        return {p.id: _("item {name}", name=p.item.name) for p in packages}
    return {p.id: _("batch {batch}", batch=p.batch) for p in packages}


def matched_by(found: list[Found]) -> list[tuple[str, int]]:
    """How the recall matched its packages, and how many each way (the manifest named)."""
    counts: dict[str, int] = {}
    for f in found:
        counts[f.how] = counts.get(f.how, 0) + 1
    return sorted(counts.items())


def not_on_record(kind: str) -> int:
    """Packages in the store with no origin of this kind on record (0 for a batch or an
    item, which every package has)."""
    return origins.unrecorded(kind, GONE) if kind in ("source", "lab") else 0


def find(kind: str, value: str) -> list[Found]:
    """The recall's packages with where each one is now."""
    taken = {p.package_id for p in PickedPackage.select(PickedPackage.package)
             .join(PickRequest).where(PickedPackage.withdrawn_at.is_null(),
                                      PickRequest.status.in_(IN_HAND))}
    held = {h.package_id for h in PackageHold.select(PackageHold.package)
            .where(PackageHold.status == "held", PackageHold.whole == True)}  # noqa: E712
    found = []
    packages = list(matching(kind, value))
    how = _how(kind, value, packages)
    for package in packages:
        kind_of_place = package.location.kind if package.location_id else ""
        whole = package.id in held or package.status in holds.RECEIVING_HELD
        if package.status == "quarantined" and kind_of_place == holds.CAGE:
            place = "cage"
        elif package.id in taken:
            place = "pick"
        elif kind_of_place == "sales_floor":
            place = "floor"
        else:
            place = "vault"
        found.append(Found(package, place, whole or package.status == "quarantined",
                           how.get(package.id, "")))
    return found


def places(found: list[Found]) -> list[tuple[str, int]]:
    """How many packages in each kind of place, and on which shelves."""
    counts: dict[str, int] = {}
    for f in found:
        name = PLACE_WORDS[f.place]
        if f.place == "vault" and f.package.location_id:
            name = f.package.location.name
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items())


def _units(package: Package) -> str:
    amount = package.quantity or 0
    return f"{amount:f}" if amount > 0 else "1"


def hold_all(ctx, recall: Recall, found: list[Found], words: str) -> dict:
    """Put every package of the recall on hold where it is, in this step's transaction;
    withdraw those taken for a pick; ask for the floor's back; queue their quarantine labels
    as one print job, and audit the recall with every tag. Returns what was done."""
    done = {"held": 0, "already": 0, "picks": 0, "tasks": 0}
    day, labels, tags = holds.today(ctx), [], []
    for f in found:
        package = f.package
        existing = holds.whole_hold(package) if f.held else None
        if existing is not None:
            made = holds.kept(existing)
            done["already"] += 1
        else:
            made = holds.hold(ctx, package, "recalled", words, recall=recall, label=False,
                              withdraw=f.place == "pick", audit=False)
            labels.append(holds.label_data(made, package, ctx.actor.name, day))
            tags.append(package.tag)
            done["held"] += 1
        RecallPackage.create(recall=recall, package=package, found_in=f.place,
                             found_at=holds.where(package), hold=made, matched=f.how[:255])
        if f.place == "pick":  # ``holds.hold`` withdrew it from the pick
            done["picks"] += 1
        if f.place in ("floor", "pick"):
            picks.add_task(PICK_BACK, _("Recall: bring back"), [{"tag": package.tag,
                                                              "quantity": _units(package)}],
                           workflow="quarantine", key=f"RECALL-{recall.id}-{package.tag}",
                           priority=1, note=_("{description}: put it in the cage",
                                              description=recall.description),
                           actor=ctx.actor, station=ctx.station)
            done["tasks"] += 1
    if labels:
        ctx.print_job("label", "quarantine_label", {"labels": labels})
    ctx.audit("hold.recall", f"recall:{recall.id}", {"reason": words, "tags": tags})
    return done


def brought_in(ctx, package: Package) -> None:
    """A recalled package is in the cage: its pick-back task is done (whoever brought it),
    and its recall is finished once every package of it is in."""
    tasks = (PickRequest.select().join(PickLine).where(
        PickRequest.kind == PICK_BACK, PickRequest.status.in_(UNFINISHED),
        PickLine.tag == package.tag))
    for task in tasks:
        picks.close(task, "handed_off", f"{package.tag} is in the cage.", ctx.actor,
                    ctx.station, end_run=task.run_id != ctx.run.id)
    for line in RecallPackage.select().where(RecallPackage.package == package.id):
        finish_if_all_in(Recall.get_by_id(line.recall_id), ctx.event.at)


def progress(recall: Recall) -> list[dict]:
    """Each package of the recall and whether it is in the cage yet."""
    rows = []
    for line in (RecallPackage.select(RecallPackage, Package, Location)
                 .join(Package, on=(RecallPackage.package == Package.id))
                 .join(Location, JOIN.LEFT_OUTER, on=(Package.location == Location.id))
                 .where(RecallPackage.recall == recall.id).order_by(RecallPackage.id)):
        package = line.package
        rows.append({"tag": package.tag, "matched": line.matched,
                     "found": PLACE_WORDS.get(line.found_in, line.found_in),
                     "found_at": line.found_at, "now": holds.where(package),
                     "in_cage": holds.in_cage(package) or package.status in GONE,
                     "status": package.status})
    return rows


def finish_if_all_in(recall: Recall, at) -> bool:
    """Mark the recall done once every package of it is in the cage (or gone)."""
    if recall.status == "done":
        return True
    if all(row["in_cage"] for row in progress(recall)):
        Recall.update(status="done", done_at=at).where(Recall.id == recall.id).execute()
        return True
    return False


def open_recalls() -> list[Recall]:
    return list(Recall.select().order_by(Recall.id.desc()))


def items_in_stock() -> list[Item]:
    """Items with a package still in the store: what a recall by item offers."""
    return list(Item.select().join(Package).where(Package.status.not_in(GONE))
                .group_by(Item.id).order_by(Item.name))
