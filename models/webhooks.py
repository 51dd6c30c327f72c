from tortoise import fields
from tortoise.models import Model

from models.institutions import Institution


class InstitutionWebhook(Model):
    """Where an institution wants its notices POSTed, and the secret that signs them (sealed:
    the same AES-GCM keys as personal data)."""

    id = fields.IntField(primary_key=True)
    institution: fields.OneToOneRelation[Institution] = fields.OneToOneField(
        "models.Institution", related_name="webhook", on_delete=fields.RESTRICT
    )
    url = fields.CharField(max_length=500)
    secret_cipher = fields.CharField(max_length=256)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "institution_webhook"
