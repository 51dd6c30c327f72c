"""One enrolment, and one open subsidy claim, per person and class (issue 17 item 1).

A person holding two fitting vouchers was enrolled in one class with each, and both completion
rows filed a claim. The enrolment and the claim now carry the voucher holder's id, and a partial
unique index over (person, class) is the last guard under concurrency: active enrolments
(annulled_at IS NULL), open claims (pending or approved). Raw SQL, as Tortoise's migrations build
partial unique indexes on PostgreSQL only; the syntax here is the same on SQLite.

Rows from before: every row gets its holder, except a later duplicate (same person and class,
both active or open), which keeps NULL, outside the index, so the upgrade never fails on the
data this bug wrote. Nothing is deleted or annulled: the bureau's review sees both claims.

Named 0007 as the issue's plan asked; it follows the newest migration of its branch, 0010.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_FORWARD = [
    "UPDATE enrolment SET person_id = (SELECT v.person_id FROM voucher v WHERE v.id = enrolment.voucher_id)",
    """
    UPDATE enrolment SET person_id = NULL
    WHERE annulled_at IS NULL AND id NOT IN (
        SELECT MIN(id) FROM enrolment WHERE annulled_at IS NULL GROUP BY person_id, training_class_id
    )
    """,
    """
    UPDATE settlement_claim
    SET person_id = (SELECT v.person_id FROM voucher v WHERE v.id = settlement_claim.voucher_id)
    """,
    """
    UPDATE settlement_claim SET person_id = NULL
    WHERE status IN ('pending', 'approved') AND id NOT IN (
        SELECT MIN(id) FROM settlement_claim WHERE status IN ('pending', 'approved')
        GROUP BY person_id, training_class_id
    )
    """,
    """
    CREATE UNIQUE INDEX enrolment_one_per_person ON enrolment (person_id, training_class_id)
    WHERE annulled_at IS NULL
    """,
    """
    CREATE UNIQUE INDEX settlement_claim_one_per_person ON settlement_claim (person_id, training_class_id)
    WHERE status IN ('pending', 'approved')
    """,
]

_BACKWARD = [
    "DROP INDEX IF EXISTS settlement_claim_one_per_person",
    "DROP INDEX IF EXISTS enrolment_one_per_person",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0010_scan_record_without_locks")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Enrolment",
            name="person_id",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="SettlementClaim",
            name="person_id",
            field=fields.BigIntField(null=True),
        ),
        ops.RunSQL(_FORWARD, _BACKWARD),
    ]
