"""What the procedure recorded stays as recorded, also below the application (raw SQL through
its connection), as the audit chain (village 0002), the points ledger (points 0002) and the
documents are guarded:

- no row of the procedure is ever deleted (matters, versions, meetings, attendance, observers,
  participations, ballots, publications, objections, implementation updates, suggestions);
- a cast ballot's choice, voter, receipt and meeting never change (a secret vote rewrites the
  box with the same values, which stays allowed);
- a participation never moves to another person, meeting or channel;
- an objection's text, author and filing never change, and its answer, once given, neither.

Changes the compliance checks exist to catch (a time, a text fingerprint) stay possible here so
that those checks can be tested; they are caught by the checks and by the audit chain.
"""

from django.db import migrations

TABLES = [
    "matter",
    "matterversion",
    "meeting",
    "attendance",
    "observer",
    "participation",
    "ballot",
    "publication",
    "objection",
    "implementationupdate",
    "suggestion",
]

BALLOT_FIXED = (
    "OLD.choice <> '' AND (NEW.choice IS DISTINCT FROM OLD.choice"
    " OR NEW.voter_id IS DISTINCT FROM OLD.voter_id"
    " OR NEW.receipt IS DISTINCT FROM OLD.receipt"
    " OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id)"
)
PARTICIPATION_FIXED = (
    "NEW.voter_id IS DISTINCT FROM OLD.voter_id"
    " OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id"
    " OR NEW.channel IS DISTINCT FROM OLD.channel"
)
OBJECTION_FIXED = (
    "NEW.text IS DISTINCT FROM OLD.text"
    " OR NEW.villager_id IS DISTINCT FROM OLD.villager_id"
    " OR NEW.publication_id IS DISTINCT FROM OLD.publication_id"
    " OR NEW.filed_at IS DISTINCT FROM OLD.filed_at"
    " OR (OLD.answered_at IS NOT NULL AND (NEW.answer IS DISTINCT FROM OLD.answer"
    " OR NEW.answered_at IS DISTINCT FROM OLD.answered_at"
    " OR NEW.answered_by_id IS DISTINCT FROM OLD.answered_by_id))"
)
UPDATES = [
    ("ballot", BALLOT_FIXED, "a cast ballot cannot be changed"),
    ("participation", PARTICIPATION_FIXED, "a participation cannot be changed"),
    ("objection", OBJECTION_FIXED, "an objection or its answer cannot be changed"),
]


def _sqlite(condition: str) -> str:
    return condition.replace("IS DISTINCT FROM", "IS NOT")


SQLITE = [
    f"""CREATE TRIGGER deliberation_{t}_no_delete BEFORE DELETE ON deliberation_{t}
        BEGIN SELECT RAISE(ABORT, 'deliberation records cannot be deleted ({t})'); END;"""
    for t in TABLES
] + [
    f"""CREATE TRIGGER deliberation_{t}_fixed BEFORE UPDATE ON deliberation_{t}
        WHEN {_sqlite(condition)}
        BEGIN SELECT RAISE(ABORT, '{message}'); END;"""
    for t, condition, message in UPDATES
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS deliberation_{t}_no_delete;" for t in TABLES] + [
    f"DROP TRIGGER IF EXISTS deliberation_{t}_fixed;" for t, _c, _m in UPDATES
]
POSTGRES = (
    [
        """CREATE OR REPLACE FUNCTION deliberation_guard() RETURNS trigger AS $$
           BEGIN
             RAISE EXCEPTION '% on %: deliberation records cannot be deleted or changed (%)',
               TG_OP, TG_TABLE_NAME, TG_ARGV[0];
           END; $$ LANGUAGE plpgsql;"""
    ]
    + [
        f"""CREATE TRIGGER deliberation_{t}_no_delete BEFORE DELETE ON deliberation_{t}
            FOR EACH ROW EXECUTE FUNCTION deliberation_guard('no delete');"""
        for t in TABLES
    ]
    + [
        f"""CREATE TRIGGER deliberation_{t}_no_truncate BEFORE TRUNCATE ON deliberation_{t}
            FOR EACH STATEMENT EXECUTE FUNCTION deliberation_guard('no truncate');"""
        for t in TABLES
    ]
    + [
        f"""CREATE TRIGGER deliberation_{t}_fixed BEFORE UPDATE ON deliberation_{t}
            FOR EACH ROW WHEN ({condition})
            EXECUTE FUNCTION deliberation_guard('{message}');"""
        for t, condition, message in UPDATES
    ]
)
POSTGRES_DROP = (
    [f"DROP TRIGGER IF EXISTS deliberation_{t}_fixed ON deliberation_{t};" for t, _c, _m in UPDATES]
    + [f"DROP TRIGGER IF EXISTS deliberation_{t}_no_truncate ON deliberation_{t};" for t in TABLES]
    + [f"DROP TRIGGER IF EXISTS deliberation_{t}_no_delete ON deliberation_{t};" for t in TABLES]
    + ["DROP FUNCTION IF EXISTS deliberation_guard();"]
)


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # "%" in RAISE formats

    return run


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0003_ballot_box")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
