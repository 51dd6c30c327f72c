"""Statistics test data: batches and vouchers written straight to the tables, claimed on chosen days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import Batch, BureauUser, Person, Voucher, VoucherStatus
from tests.support.factories import bureau, id_number, regions

JAN_1_2021 = datetime(2020, 12, 31, 16, 0, tzinfo=UTC)  # 00:00 local time


async def batch_row(region: str, title: str, distribution: str = "general") -> Batch:
    creator = await BureauUser.first()
    return await Batch.create(
        title=title,
        region_id=region,
        value_mode="face_value",
        face_value_fen=50_000,
        distribution=distribution,
        voucher_type="就业技能培训",
        project_types=["就业技能培训"],
        validity_mode="days_after_claim",
        valid_days=30,
        quantity=100,
        remaining=100,
        status="published",
        created_by_id=creator.id,
    )


async def voucher_row(svc, batch: Batch, claimed_at: datetime, name: str = "王小明", **fields) -> tuple[Voucher, str]:
    number = id_number()
    person = await Person.create(
        id_hash=svc.keys.id_hash(number),
        id_cipher=svc.keys.encrypt(number, b"id"),
        name_cipher=svc.keys.encrypt(name, b"name"),
    )
    voucher = await Voucher.create(
        code=f"V{batch.id:03d}{person.id:012d}",
        batch_id=batch.id,
        person_id=person.id,
        voucher_type=batch.voucher_type,
        claimed_at=claimed_at,
        valid_until=fields.pop("valid_until", claimed_at + timedelta(days=30)),
        **fields,
    )
    return voucher, number


async def wuxi_2021(svc) -> dict:
    """A Wuxi bureau user, a city batch and a Jiangyin targeted one, and vouchers claimed, used and
    expired across 2021 (one in 2020): the figures the statistics tests expect."""
    await regions()
    token = await bureau(svc)
    city = await batch_row("320200", "无锡市通用券")
    jiangyin = await batch_row("320281", "江阴市定向券", "targeted")
    data = {"token": token, "city": city, "jiangyin": jiangyin, "numbers": {}}
    for day in (3, 40, 200):
        v, number = await voucher_row(svc, city, JAN_1_2021 + timedelta(days=day))
        data["numbers"][v.code] = number
    await voucher_row(svc, city, JAN_1_2021 - timedelta(days=3))  # claimed in 2020: not a 2021 figure
    await voucher_row(svc, jiangyin, JAN_1_2021 + timedelta(days=10), automatic=True)
    await voucher_row(
        svc,
        jiangyin,
        JAN_1_2021 + timedelta(days=20),
        automatic=True,
        status=VoucherStatus.ENROLLED,
        used_at=JAN_1_2021 + timedelta(days=25),
    )
    await voucher_row(svc, jiangyin, JAN_1_2021 + timedelta(days=30), automatic=True, status=VoucherStatus.EXPIRED)
    return data
