from tortoise import fields
from tortoise.models import Model

# The figures of the bureau's statistics (vouchers.reporting.statistics), one column each.
FIGURE_COLUMNS = (
    "issued",
    "claimed",
    "enrolled",
    "completed",
    "settled",
    "expired",
    "subsidy_fen",
    "checkins",
    "manual_checkins",
    "evaluations",
    "evaluation_points",
    "signups",
)


class StatisticsDay(Model):
    """The statistics' figures of one batch on one local date (Asia/Shanghai), kept by PostgreSQL
    triggers in the transaction of each change (migration 0026_statistics_rollup), so statistics
    read a row per batch and day instead of every voucher. On SQLite (`make run`, one small
    bureau) it stays empty and statistics count the rows themselves."""

    id = fields.BigIntField(primary_key=True)
    batch_id = fields.IntField()
    day = fields.DateField()
    issued = fields.BigIntField(default=0)
    claimed = fields.BigIntField(default=0)
    enrolled = fields.BigIntField(default=0)
    completed = fields.BigIntField(default=0)
    settled = fields.BigIntField(default=0)
    expired = fields.BigIntField(default=0)
    subsidy_fen = fields.BigIntField(default=0)
    checkins = fields.BigIntField(default=0)
    manual_checkins = fields.BigIntField(default=0)
    evaluations = fields.BigIntField(default=0)
    evaluation_points = fields.BigIntField(default=0)
    signups = fields.BigIntField(default=0)

    class Meta:
        table = "statistics_day"
        unique_together = (("batch_id", "day"),)
