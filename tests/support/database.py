"""The test database: emptying it past the append-only triggers."""


def flush_past_audit_triggers(sql_flush):
    """The audit chain (village migration 0002) and the points ledger (points migration 0002)
    refuse DELETE and TRUNCATE, which also stops the flush that empties the database after a
    transactional test. Let the flush through: triggers dropped (SQLite) or disabled
    (PostgreSQL) inside the flush, restored after."""

    def flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [*tables, *_kept_by_the_database(self.connection, tables)]
        statements = sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "sqlite":
                cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type='trigger'")
                triggers = [(n, sql) for n, table, sql in cursor.fetchall() if table in tables]
                return (
                    [f'DROP TRIGGER "{name}"' for name, _sql in triggers]
                    + statements
                    + [sql for _name, sql in triggers]
                )
            if self.connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT DISTINCT c.relname FROM pg_trigger t"
                    " JOIN pg_class c ON c.oid = t.tgrelid"
                    " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
                guarded = [name for (name,) in cursor.fetchall() if name in tables]
                quote = self.quote_name
                return (
                    [f"ALTER TABLE {quote(t)} DISABLE TRIGGER USER" for t in guarded]
                    + statements
                    + [f"ALTER TABLE {quote(t)} ENABLE TRIGGER USER" for t in guarded]
                )
        return statements

    return flush


def _kept_by_the_database(connection, tables) -> list[str]:
    """Tables no model owns that the database keeps beside the ledger (the year scores, points
    migration 0007, PostgreSQL): emptied with the households they refer to."""
    if connection.vendor != "postgresql" or "village_household" not in tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('points_year_score') IS NOT NULL")
        return ["points_year_score"] if cursor.fetchone()[0] else []
