"""Drop indexes nothing searches by, from the tables every scan writes to.

Each index is one more page written to the log at every commit: with these gone a scan
writes about a third fewer pages. Step events are found by (run, rev), movements by package
and run, outbox messages by state and package; who did it, where it came from and which
run sent it are read with the row, never searched.
"""

UNUSED = ("step_event_run_id", "step_event_actor_id", "step_event_supersedes_id",
          "movement_from_location_id", "movement_to_location_id", "movement_actor_id",
          "movement_corrects_id", "outbox_message_run_id")


def up(database):
    for name in UNUSED:
        database.execute_sql(f"DROP INDEX IF EXISTS {name}")
