"""Where a package came from: the source packages it was made from and the lab test batch it
was received with (``PackageOrigin``), recorded when it is received, so that a recall naming
a source package tag or a lab test batch finds every package of it.

A manifest lists a package's source packages (Metrc's ``SourcePackageLabels``: tags separated
by commas); the lab test batch is the COA the package was received with: the reference of
its own lab results, else of its batch's (as receiving judged it, ``manifests``).
"""

from __future__ import annotations

from peewee import JOIN

from kiosk import manifests
from kiosk.models import Package, PackageOrigin, Transfer, TransferPackage
from kiosk.words import _

KIND_WORDS = {"source": _("source package"), "lab": _("lab test batch")}


def lab_batches(line: TransferPackage) -> list[str]:
    """The COAs the package is received with (their references), upper case."""
    found: list[str] = []
    for result in manifests.lab_results_for(line):
        ref = (result.coa_ref or "").strip().upper()
        if ref and ref not in found:
            found.append(ref)
    return found


def record(package: Package, line: TransferPackage) -> None:
    """Keep what the manifest line says the package came from (at its first verdict, in
    the receiving step's transaction); what is already kept is not added again."""
    have = {(o.kind, o.value) for o in PackageOrigin.select(PackageOrigin.kind,
                                                            PackageOrigin.value)
            .where(PackageOrigin.package == package.id)}
    wanted = [("source", t) for t in manifests.split_tags(line.source_tags)]
    wanted += [("lab", ref) for ref in lab_batches(line)]
    for kind, value in wanted:
        if (kind, value) not in have:
            PackageOrigin.create(package=package, kind=kind, value=value[:255],
                                 transfer=line.transfer_id)
            have.add((kind, value))


def package_ids(kind: str, value: str):
    """A subquery: the packages whose origin of this kind is ``value``."""
    return (PackageOrigin.select(PackageOrigin.package)
            .where(PackageOrigin.kind == kind, PackageOrigin.value == value.strip().upper()))


def how(kind: str, value: str, ids) -> dict[int, str]:
    """For each package found through its origins, how it matched, in words: "made from
    1A40… (manifest 0000300101)" or "received with COA COA-GC-2611 (manifest …)"."""
    ids = list(ids)
    if not ids:
        return {}
    rows = (PackageOrigin.select(PackageOrigin.package, Transfer.manifest_number)
            .join(Transfer, on=(PackageOrigin.transfer == Transfer.id), join_type=JOIN.LEFT_OUTER)
            .where(PackageOrigin.kind == kind, PackageOrigin.value == value.strip().upper(),
                   PackageOrigin.package.in_(ids)).tuples())
    value = value.strip().upper()
    # Kept in English on the recall's record; said again in the reader's language (recalls'
    # kept forms).
    found = {}
    for package_id, manifest in rows:
        if kind == "source":
            found[package_id] = (
                _("made from source package {value} (manifest {manifest})", value=value,
                  manifest=manifest) if manifest
                else _("made from source package {value} (on file)", value=value))
        else:
            found[package_id] = (
                _("received with lab test batch (COA) {value} (manifest {manifest})",
                  value=value, manifest=manifest) if manifest
                else _("received with lab test batch (COA) {value} (on file)", value=value))
    return found


def unrecorded(kind: str, gone) -> int:
    """How many packages in the store have no origin of this kind on record (on no manifest
    that listed one): a recall of that kind cannot find them, so the screen says so."""
    with_one = PackageOrigin.select(PackageOrigin.package).where(PackageOrigin.kind == kind)
    return (Package.select().where(Package.status.not_in(gone),
                                   Package.id.not_in(with_one)).count())
