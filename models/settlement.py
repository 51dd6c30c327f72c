"""Settlement (结算/核销) and the lifelong training archive: the bureau's subsidy standards and
ratios, the institution's claims on completed training, who is paid, and every certificate."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.accounts import Person
from models.institutions import Institution, TrainingClass
from models.regions import Region
from models.vouchers import Voucher


class ClaimStatus(StrEnum):
    PENDING = "pending"  # waiting for the bureau
    # Two-level review: the first reviewer approved, the second (another person) has yet to decide.
    FIRST_APPROVED = "first_approved"
    APPROVED = "approved"  # the voucher is settled, the payee recorded
    REJECTED = "rejected"  # with a reason, the institution may submit again
    FAILED = "failed"  # assessment not passed: nothing to pay, nothing to review


class PayeeKind(StrEnum):
    TRAINEE = "trainee"  # the trainee's social-security-card bank account
    INSTITUTION = "institution"
    EMPLOYER = "employer"


class SubsidyStandard(Model):
    """The bureau's subsidy standard in fen for a project type, occupation and level. Empty
    occupation or level means "any"."""

    id = fields.IntField(primary_key=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="subsidy_standards", on_delete=fields.RESTRICT
    )
    project_type = fields.CharField(max_length=32)
    occupation = fields.CharField(max_length=64, default="")
    level = fields.CharField(max_length=32, default="")
    amount_fen = fields.BigIntField()
    # Applies to training of this year and later, until a later year's row for the same key.
    effective_year = fields.IntField(default=2021)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subsidy_standard"
        unique_together = (("region", "project_type", "occupation", "level", "effective_year"),)


class SubsidyRatio(Model):
    """The share of the standard paid for a trainee of an eligible group, in per mille."""

    id = fields.IntField(primary_key=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="subsidy_ratios", on_delete=fields.RESTRICT
    )
    eligible_group = fields.CharField(max_length=32)
    ratio_permille = fields.IntField()
    effective_year = fields.IntField(default=2021)  # as SubsidyStandard.effective_year
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subsidy_ratio"
        unique_together = (("region", "eligible_group", "effective_year"),)


class SettlementClaim(Model):
    """One trainee's assessment result submitted by the institution, and the bureau's decision.
    A rejected claim stays, a new submission is a new row.

    `person_id` is the voucher's holder: a person has at most one open (pending, first_approved or
    approved) claim per class, whatever voucher, held by the partial unique index `settlement_claim_one_per_
    person` (migration 0011_one_enrolment_per_person). NULL only on claims filed before it."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="settlement_claims", on_delete=fields.RESTRICT
    )
    batch_id = fields.IntField(db_index=True)  # copied for statistics without a join
    person_id = fields.BigIntField(null=True)
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="settlement_claims", on_delete=fields.RESTRICT
    )
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="settlement_claims", on_delete=fields.RESTRICT
    )
    passed = fields.BooleanField()
    certificate_kind = fields.CharField(max_length=32, null=True)
    certificate_number = fields.CharField(max_length=64, null=True)
    certificate_level = fields.CharField(max_length=32, null=True)
    standard_fen = fields.BigIntField(default=0)
    ratio_permille = fields.IntField(default=0)
    subsidy_fen = fields.BigIntField(default=0)
    status = fields.CharEnumField(ClaimStatus, max_length=16, default=ClaimStatus.PENDING)
    submitted_by_id = fields.IntField()  # staff id; 0 when an online platform reported it (vouchers/platforms)
    submitted_at = fields.DatetimeField()
    # Two-level review: who approved first, and when; the final decision is `decided_by`.
    first_reviewer_id = fields.IntField(null=True)  # bureau user id
    first_reviewed_at = fields.DatetimeField(null=True)
    decided_by_id = fields.IntField(null=True)  # bureau user id, the final decider
    decided_at = fields.DatetimeField(null=True, db_index=True)
    reason = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "settlement_claim"
        indexes = (("status", "training_class_id"), ("voucher_id", "status"))


class ReviewPolicy(Model):
    """How many bureau reviewers a region's settlement claims need: 1, or 2 (初审 and 复审, by two
    different people). A claim follows the nearest region up its batch's region path that has a
    row; with none, 1."""

    id = fields.IntField(primary_key=True)
    region: fields.OneToOneRelation[Region] = fields.OneToOneField(
        "models.Region", related_name="review_policy", on_delete=fields.RESTRICT
    )
    levels = fields.SmallIntField()
    updated_by_id = fields.IntField()  # bureau user id
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "settlement_review_policy"


class Payee(Model):
    """Who receives the subsidy of an approved claim."""

    id = fields.BigIntField(primary_key=True)
    claim: fields.OneToOneRelation[SettlementClaim] = fields.OneToOneField(
        "models.SettlementClaim", related_name="payee", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(PayeeKind, max_length=12)
    person_id = fields.BigIntField(null=True)  # trainee: paid to the card's bank account
    institution_id = fields.IntField(null=True)
    employer_name = fields.CharField(max_length=100, null=True)
    amount_fen = fields.BigIntField()
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "settlement_payee"


class Certificate(Model):
    """An entry of the person's lifelong training archive, from an approved assessment."""

    id = fields.BigIntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="certificates", on_delete=fields.RESTRICT
    )
    claim_id = fields.BigIntField(null=True, unique=True)
    kind = fields.CharField(max_length=32)
    number = fields.CharField(max_length=64)
    level = fields.CharField(max_length=32, null=True)
    occupation = fields.CharField(max_length=64, null=True)
    project_type = fields.CharField(max_length=32, null=True)
    institution_name = fields.CharField(max_length=100, null=True)
    class_name = fields.CharField(max_length=100, null=True)
    voucher_code = fields.CharField(max_length=24, null=True)
    issued_at = fields.DatetimeField()

    class Meta:
        table = "certificate"
        unique_together = (("person", "kind", "number"),)
