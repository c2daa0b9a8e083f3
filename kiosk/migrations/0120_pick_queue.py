"""The live pick queue: the request's kind, priority, claim and hand-off times; its lines,
the packages taken for them, and the events the queue screens follow.

A database made before this migration has the first pick_request table (id, lines, note,
times, status); its requests gain the new columns and a line row for each JSON line. A new
database already has every column (0020 creates the table from the current model).
"""

from playhouse.migrate import SchemaMigrator, migrate

from kiosk.models.picks import PickedPackage, PickEvent, PickLine, PickRequest

ADDED = ("kind", "workflow", "origin", "priority", "customer", "destination_id",
         "requested_by_id", "station", "claimed_by_id", "claimed_at", "run_id", "active_at",
         "picked_at", "handed_off_at", "handed_to_id", "closed_at", "close_reason",
         "queue_note")


def up(database):
    have = {c.name for c in database.get_columns("pick_request")}
    migrator = SchemaMigrator.from_database(database)
    fields = PickRequest._meta.fields
    migrate(*[migrator.add_column("pick_request", name, fields[name])
              for name in ADDED if name not in have])
    database.create_tables([PickLine, PickedPackage, PickEvent])
    _lines_of_older_requests(database)


def _lines_of_older_requests(database):
    """Each JSON line of a request stored before the queue existed becomes a line row, read
    as the intake reads it now (kiosk.picks)."""
    from kiosk import picks

    done = {r for (r,) in PickLine.select(PickLine.request).distinct().tuples()}
    for request in PickRequest.select().where(PickRequest.id.not_in(done) if done else True):
        for number, line in enumerate(request.lines or [], 1):
            try:
                parsed = picks.read_line(line, number)
            except ValueError:
                parsed = picks.Line(None, str(line)[:100], "", picks.Decimal(1), "Each")
            PickLine.create(request=request, number=number, item=parsed.item, name=parsed.name,
                            tag=parsed.tag, quantity=parsed.quantity, unit=parsed.unit)
