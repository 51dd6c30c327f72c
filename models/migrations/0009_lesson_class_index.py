from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_pass_key")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Lesson",
            index=Index(fields=["training_class_id", "checkin_opens_at"]),
        ),
    ]
