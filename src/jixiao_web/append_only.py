"""Database triggers that refuse to change or delete rows of the append-only tables.

The models refuse it too (:class:`jixiao_web.models._Immutable`), but a bulk ``update()``, raw SQL
or another program would pass by them; these triggers stop that in the database itself, on SQLite
and on PostgreSQL.  Someone who can drop triggers can still alter rows: the keyed hash chain
(:mod:`jixiao_web.audit`) is what then tells.
"""

from __future__ import annotations

from typing import Any, Final

TABLES: Final = (
    "jixiao_web_auditentry",
    "jixiao_web_version",
    "jixiao_web_comment",
    "jixiao_web_received",
    "jixiao_web_export",
    # editor: who opened a received version first, and withdrawn versions
    "jixiao_web_opened",
    "jixiao_web_withdrawal",
    "jixiao_web_commentreply",  # review: replies to comments
    # selfeval: the bureau's reviewed scores, and evidence files
    "jixiao_web_scorereview",
    "jixiao_web_evidence",
    # monup: evidence removed from a working copy, and the evidence each version froze
    "jixiao_web_evidenceremoval",
    "jixiao_web_versionevidence",
)
MESSAGE: Final = "只能追加：这张表中的记录不可修改或删除"


def install(connection: Any) -> None:
    """Create the triggers where missing (safe to run again: after every migration it is, since
    SQLite drops a table's triggers when a migration rebuilds the table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION jixiao_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{MESSAGE}（%）', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
            )
            for table in TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION jixiao_append_only()"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION jixiao_append_only()"
                )
        elif connection.vendor == "sqlite":
            for table in TABLES:
                for event in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{event.lower()} BEFORE {event} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    )


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            elif connection.vendor == "sqlite":
                for event in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
