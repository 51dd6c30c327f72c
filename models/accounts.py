from tortoise import fields
from tortoise.models import Model

from models.enums import AccountChannel, VerificationStatus


class Person(Model):
    """A natural person, known by ID number. Only an HMAC and ciphertexts are stored."""

    id = fields.BigIntField(primary_key=True)
    id_hash = fields.CharField(max_length=64, unique=True)
    id_cipher = fields.CharField(max_length=128)
    name_cipher = fields.CharField(max_length=512)  # 50 CJK characters of 4 bytes, sealed and base64
    phone_cipher = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class ChannelAccount(Model):
    """A login on one channel (WeChat mini program, Official Account, Alipay, H5).
    Several accounts may be bound to one person: one person, one wallet."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharEnumField(AccountChannel, max_length=20)
    app_id = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=128)  # openid, Alipay open_id/user_id, H5 user id
    union_id = fields.CharField(max_length=128, null=True, db_index=True)
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    bound_at = fields.DatetimeField(null=True)
    # Bumped by 退出: every session token issued to this account before stops working.
    token_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "channel_account"
        unique_together = (("channel", "app_id", "subject"),)


class IdentityVerification(Model):
    """One face verification attempt. The server keeps what it asked the platform to verify:
    the client's word about the result is never trusted."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "models.ChannelAccount", related_name="verifications", on_delete=fields.RESTRICT
    )
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="verifications", null=True, on_delete=fields.RESTRICT
    )
    provider = fields.CharField(max_length=32)
    out_seq_no = fields.CharField(max_length=64, unique=True)
    provider_ref = fields.CharField(max_length=128, null=True)
    id_hash = fields.CharField(max_length=64)
    id_cipher = fields.CharField(max_length=128)
    name_cipher = fields.CharField(max_length=512)
    status = fields.CharEnumField(VerificationStatus, max_length=10, default=VerificationStatus.PENDING)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "identity_verification"


class SubscriptionConsent(Model):
    """What an account allowed through its mini program's subscribe-message request, per template.
    One-time consents are counted and used up by sends, long-term ones are not. One table for
    every channel: the row belongs to an account, and the account says which channel it is on
    (account ids are unique across channels), so the row carries no channel of its own."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[ChannelAccount] = fields.ForeignKeyField(
        "models.ChannelAccount", related_name="consents", on_delete=fields.RESTRICT
    )
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    long_term = fields.BooleanField(default=False)
    # Set when the user refused or turned the template off, or the platform said none is left.
    refused_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription_consent"
        unique_together = (("account", "template_id"),)


class DeclaredGroup(Model):
    """The first group a person declared (自行申报) when claiming in a local year.

    A different group later that year needs the bureau's eligibility list. Which group a person
    is in (unemployed, out of poverty ...) is personal data: the group is stored as an HMAC for
    comparison (keyed with the person and year, so equal groups do not match across rows) and
    as AES-GCM ciphertext for the bureau."""

    id = fields.BigIntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="declared_groups", on_delete=fields.RESTRICT
    )
    year = fields.IntField()  # local (Asia/Shanghai) calendar year
    group_hash = fields.CharField(max_length=64)
    group_cipher = fields.CharField(max_length=256)
    batch_id = fields.IntField()  # the claim that declared it
    declared_at = fields.DatetimeField()

    class Meta:
        table = "declared_group"
        unique_together = (("person", "year"),)
