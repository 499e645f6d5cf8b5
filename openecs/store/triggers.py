"""Row triggers written once for both stores, for the migrations that keep counts.

A trigger runs one statement for each row an event touches (``NEW``/``OLD``
name the row), after the event: SQLite takes the statement in the trigger
itself; PostgreSQL in a plpgsql function that the trigger executes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

# (name, table, event, the statement it runs, with NEW/OLD for the row)
Trigger = tuple[str, str, str, str]


def create_trigger(name: str, table: str, event: str, statement: str) -> None:
    """``AFTER event ON table``, running ``statement`` for each row."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {statement}; END")
        return
    op.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {statement}; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
    )


def drop_trigger(name: str, table: str) -> None:
    """Undo :func:`create_trigger`."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER {name}")
        return
    op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute(f"DROP FUNCTION {name}()")


def create_triggers(triggers: Sequence[Trigger]) -> None:
    """Each of ``triggers``, in order."""
    for name, table, event, statement in triggers:
        create_trigger(name, table, event, statement)


def drop_triggers(triggers: Sequence[Trigger]) -> None:
    """Undo :func:`create_triggers`, in reverse order."""
    for name, table, _, _ in reversed(triggers):
        drop_trigger(name, table)
