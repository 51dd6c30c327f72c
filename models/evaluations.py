"""Training evaluations (培训评价): a trainee rates the training a voucher paid for, once per
voucher. The institution and class are copied from the enrolment so aggregates need no join
through vouchers; who wrote it (`person_id`) is only for the trainee's own list."""

from tortoise import fields
from tortoise.models import Model

from models.institutions import Institution, TrainingClass
from models.vouchers import Voucher


class Evaluation(Model):
    """Scores are 1-5. `tag_mask` holds the chosen tags as bits in the order of
    `vouchers.evaluation.tags.TAGS`, so the database counts them per class in one grouped scan;
    that list is only ever appended to."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.OneToOneRelation[Voucher] = fields.OneToOneField(
        "models.Voucher", related_name="evaluation", on_delete=fields.RESTRICT
    )
    person_id = fields.BigIntField(db_index=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="evaluations", on_delete=fields.RESTRICT
    )
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="evaluations", on_delete=fields.RESTRICT
    )
    teaching = fields.SmallIntField()
    organisation = fields.SmallIntField()
    usefulness = fields.SmallIntField()
    tag_mask = fields.IntField(default=0)
    comment = fields.CharField(max_length=200, default="")
    given_at = fields.DatetimeField()  # first given: editable for 7 days from here
    updated_at = fields.DatetimeField()

    class Meta:
        table = "evaluation"
        indexes = (("institution_id", "training_class_id"),)
