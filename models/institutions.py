"""Training institutions and what happens at them: staff, teaching sites, classes, lessons,
enrolments (用券), attendance (签到) and the record of every scan."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.regions import Region
from models.vouchers import Voucher


class InstitutionKind(StrEnum):
    HIGHER_VOCATIONAL = "高职院校"
    SECONDARY_VOCATIONAL = "中职院校"
    TECHNICAL_SCHOOL = "技工院校"
    INDUSTRY = "行业培训机构"
    ENTERPRISE = "企业培训中心"
    PRIVATE_SCHOOL = "民办职业培训学校"
    OTHER = "其他"
    ONLINE_PLATFORM = "线上培训平台"  # registered with its platform row (models.platforms)


class StaffRole(StrEnum):
    COMMISSIONER = "commissioner"  # 机构专员: manages who may scan
    SCANNER = "scanner"


class Datum(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"


class Institution(Model):
    """A training institution of the registry (Chongqing's form). The commissioner is a staff
    member with the commissioner role."""

    id = fields.IntField(primary_key=True)
    # Must match the training system's code, or data cannot flow back.
    code = fields.CharField(max_length=7, unique=True)
    name = fields.CharField(max_length=100)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="institutions", on_delete=fields.RESTRICT
    )
    address = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=32)
    kind = fields.CharEnumField(InstitutionKind, max_length=16)
    created_by_id = fields.IntField(null=True)  # the bureau user who registered it
    # A suspended institution's staff cannot log in or scan; its vouchers stay as they are.
    suspended_at = fields.DatetimeField(null=True)
    suspended_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "institution"


class Staff(Model):
    """Someone of an institution who may log in and scan. Removal keeps the row (scans point at
    it) and only ends the login."""

    id = fields.IntField(primary_key=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="staff", on_delete=fields.RESTRICT
    )
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=256)
    display_name = fields.CharField(max_length=64, default="")
    role = fields.CharEnumField(StaffRole, max_length=16, default=StaffRole.SCANNER)
    # Only the commissioner's identity is registered: HMAC and ciphertexts, never clear text.
    id_hash = fields.CharField(max_length=64, null=True)
    id_cipher = fields.CharField(max_length=128, null=True)
    name_cipher = fields.CharField(max_length=512, null=True)
    active = fields.BooleanField(default=True)
    removed_at = fields.DatetimeField(null=True)
    # Bumped on disable or removal so every token issued before stops working at once.
    token_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "institution_staff"


class TeachingSite(Model):
    """A place where lessons happen, with the fence used by location check-in."""

    id = fields.IntField(primary_key=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="sites", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200, default="")
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    datum = fields.CharEnumField(Datum, max_length=8)
    radius_m = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "teaching_site"


class TrainingClass(Model):
    """A training class (培训班). `enrolled` is kept in step with active enrolments under the
    class row lock, so capacity holds when several scanners enrol at once."""

    id = fields.IntField(primary_key=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="classes", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    project_type = fields.CharField(max_length=32)
    occupation = fields.CharField(max_length=64, null=True)
    start_date = fields.DateField()
    end_date = fields.DateField()
    site_ids: list[int] = fields.JSONField(default=list)
    capacity = fields.IntField()
    enrolled = fields.IntField(default=0)
    # When set, pending sign-ups (vouchers.catalogue) take places like enrolments do, for
    # sign-ups and walk-in enrolments alike; by default a sign-up reserves nothing.
    hold_places_for_signups = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "training_class"


class Lesson(Model):
    """One lesson of a class, check-in is accepted inside [checkin_opens_at, checkin_closes_at)."""

    id = fields.IntField(primary_key=True)
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="lessons", on_delete=fields.RESTRICT
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    checkin_opens_at = fields.DatetimeField(db_index=True)
    checkin_closes_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lesson"
        # A check-in looks up the lesson of one class open now: without the class first, the
        # index on checkin_opens_at alone reads every lesson of every class that has opened.
        indexes = (("training_class_id", "checkin_opens_at"),)


class ScanRecord(Model):
    """Every scan, failed ones too: who, on which device, what it answered. The answer is kept
    so a repeated client nonce gets the first answer back and writes nothing.

    Its ids have no foreign-key constraints on PostgreSQL (migration 0010): the check locked the
    voucher, staff and institution rows for every scan, and deadlocked with enrolments. They are
    the ids the scan has just read, of rows that are never deleted."""

    id = fields.BigIntField(primary_key=True)
    institution: fields.ForeignKeyRelation[Institution] = fields.ForeignKeyField(
        "models.Institution", related_name="scans", on_delete=fields.RESTRICT, db_constraint=False
    )
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="scans", on_delete=fields.RESTRICT, db_constraint=False
    )
    nonce = fields.CharField(max_length=64)
    # What the nonce was sent with (payload, action, class, lesson): a replay must match it.
    request_digest = fields.CharField(max_length=32, null=True)
    device = fields.CharField(max_length=64)
    action = fields.CharField(max_length=8)
    voucher: fields.ForeignKeyNullableRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="scans", null=True, on_delete=fields.RESTRICT, db_constraint=False
    )
    class_id = fields.IntField(null=True)
    lesson_id = fields.IntField(null=True)
    result = fields.CharField(max_length=8)  # ok, error
    reason = fields.CharField(max_length=32, null=True)
    answer: dict = fields.JSONField(default=dict)
    scanned_at = fields.DatetimeField()  # the client's clock
    created_at = fields.DatetimeField(auto_now_add=True)
    annulled_at = fields.DatetimeField(null=True)
    offline = fields.BooleanField(default=False)  # made offline, uploaded later (scanning/offline_upload.py)

    class Meta:
        table = "scan_record"
        unique_together = (("staff", "nonce"),)


class Enrolment(Model):
    """A voucher bound to a class (用券). Annulment keeps the row and marks it.

    `person_id` is the voucher's holder, copied (a voucher is never transferred) so the database
    can hold a person to one active enrolment per class whatever voucher they bring: the partial
    unique index `enrolment_one_per_person` (migration 0011_one_enrolment_per_person, raw SQL as
    Tortoise builds no partial unique index on SQLite). NULL only on a duplicate enrolled before it."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="enrolments", on_delete=fields.RESTRICT
    )
    training_class: fields.ForeignKeyRelation[TrainingClass] = fields.ForeignKeyField(
        "models.TrainingClass", related_name="enrolments", on_delete=fields.RESTRICT
    )
    person_id = fields.BigIntField(null=True)
    scan_id = fields.BigIntField(null=True)
    enrolled_at = fields.DatetimeField()
    annulled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "enrolment"
        indexes = (("voucher_id", "annulled_at"),)


class LocationCheckin(Model):
    """Every location check-in attempt with raw and converted coordinates and the distance."""

    id = fields.BigIntField(primary_key=True)
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="location_checkins", on_delete=fields.RESTRICT
    )
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="location_checkins", on_delete=fields.RESTRICT
    )
    site_id = fields.IntField()
    coord_type = fields.CharEnumField(Datum, max_length=8)
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    accuracy_m = fields.FloatField()
    site_latitude = fields.FloatField()  # the position converted to the site's datum
    site_longitude = fields.FloatField()
    distance_m = fields.FloatField()
    allowed_m = fields.FloatField()
    inside = fields.BooleanField()
    at = fields.DatetimeField()

    class Meta:
        table = "location_checkin"


class Attendance(Model):
    """A trainee present at a lesson: once per lesson and voucher."""

    id = fields.BigIntField(primary_key=True)
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="attendance", on_delete=fields.RESTRICT
    )
    voucher: fields.ForeignKeyRelation[Voucher] = fields.ForeignKeyField(
        "models.Voucher", related_name="attendance", on_delete=fields.RESTRICT
    )
    method = fields.CharField(max_length=8)  # scan, location, manual (补签)
    scan_id = fields.BigIntField(null=True)
    manual_reason = fields.CharField(max_length=100, null=True)  # why a member checked the trainee in
    manual_by_staff_id = fields.IntField(null=True)
    location_checkin_id = fields.BigIntField(null=True)
    checked_in_at = fields.DatetimeField()
    annulled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "attendance"
        unique_together = (("lesson", "voucher"),)
