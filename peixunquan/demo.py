"""Demo data (idempotent): the Wuxi and Chongqing regions with their 2021 targets, a bureau user
each, published batches, and one verified demo trainee."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from models import (
    AccountChannel,
    Batch,
    BatchStatus,
    BureauRole,
    BureauUser,
    DistributionMode,
    Region,
    RegionTarget,
    SubsidyStandard,
    ValidityMode,
    ValueMode,
)
from peixunquan.demo_institutions import load_demo_institution
from vouchers.batches.manage import create_batch, publish_batch
from vouchers.batches.spec import BatchSpec
from vouchers.common.personal_data import check_digit
from vouchers.identity.bind_identity import bind_verified_identity
from vouchers.identity.bureau_auth import create_bureau_user
from vouchers.identity.sessions import open_session
from vouchers.services import Services
from vouchers.settlement.standards import set_standard

# code, name, parent, 2021 issue target, 2021 use target (DOMAIN.md, from the notices in seeds/)
REGIONS = [
    ("320000", "江苏省", None, 0, 0),
    ("320200", "无锡市", "320000", 90_000, 9_000),
    ("320281", "江阴市", "320200", 13_000, 1_300),
    ("320282", "宜兴市", "320200", 7_000, 700),
    ("500000", "重庆市", None, 300_000, 120_000),
    ("500101", "万州区", "500000", 0, 7_000),
    ("500154", "开州区", "500000", 0, 9_000),
    ("500119", "南川区", "500000", 0, 500),
]

DEMO_TRAINEE_17 = "32020219900307123"  # a made-up ID number; the check digit is computed


# One bureau user per role (issue 20): username, region, role, display name.
BUREAU_USERS = [
    ("wuxi", "320200", BureauRole.ADMIN, "王静"),
    ("wuxi-batch", "320200", BureauRole.BATCH_MANAGER, "李明"),
    ("wuxi-review1", "320200", BureauRole.FIRST_REVIEWER, "张华"),
    ("wuxi-review2", "320200", BureauRole.SECOND_REVIEWER, "赵敏"),
    ("wuxi-stats", "320200", BureauRole.VIEWER, "陈晨"),
    ("jiangyin", "320281", BureauRole.ADMIN, "周涛"),
    ("chongqing", "500000", BureauRole.ADMIN, "刘洋"),
]


# Subsidy standards of this year (made-up amounts of the usual size), so the demo institution's
# completion results are paid: region, project type, occupation, level, yuan, the administrator.
DEMO_STANDARDS = [
    ("320200", "就业技能培训", "", "", 1000, "wuxi"),
    ("320200", "就业技能培训", "电工", "五级", 1500, "wuxi"),
    ("320200", "企业职工培训", "", "", 600, "wuxi"),
    ("500000", "就业技能培训", "", "", 1200, "chongqing"),
    ("500000", "创业培训", "", "", 1500, "chongqing"),
]


async def load_standards(year: int) -> None:
    """This year's demo standards, each set once (a second `demo` leaves the admin log as it is)."""
    for region, project_type, occupation, level, yuan, admin in DEMO_STANDARDS:
        key = {"project_type": project_type, "occupation": occupation, "level": level, "effective_year": year}
        if not await SubsidyStandard.exists(region_id=region, **key):
            user = await BureauUser.get(username=admin).prefetch_related("region")
            await set_standard(user, region, project_type, occupation, level, yuan * 100, year)


async def load_regions() -> None:
    """The regions, and their targets for 2021 (the notices' year) and for this year, so the
    statistics of a fresh demo compare with a target."""
    paths: dict[str, str] = {}
    for code, name, parent, issue, use in REGIONS:
        paths[code] = f"{paths[parent]}/{code}" if parent else code
        await Region.update_or_create(code=code, defaults={"name": name, "parent_id": parent, "path": paths[code]})
        for year in sorted({2021, date.today().year}):
            await RegionTarget.get_or_create(
                region_id=code, year=year, defaults={"issue_target": issue, "use_target": use}
            )


async def load_demo(svc: Services, var_dir: Path) -> list[str]:
    """Returns lines to show the person who started the demo."""
    await load_regions()
    lines = []
    credentials = var_dir / "demo-credentials.txt"
    known = dict(line.split("=", 1) for line in credentials.read_text().splitlines()) if credentials.exists() else {}
    for username, region, role, display_name in BUREAU_USERS:
        if not await BureauUser.exists(username=username):
            known[username] = secrets.token_urlsafe(12)
            await create_bureau_user(username, known[username], region, display_name=display_name, role=role)
        lines.append(f"bureau user {username} ({role}) / password {known.get(username, '(set earlier)')}")
    var_dir.mkdir(parents=True, exist_ok=True)
    credentials.write_text("".join(f"{k}={v}\n" for k, v in known.items()))
    credentials.chmod(0o600)

    wuxi = await BureauUser.get(username="wuxi").prefetch_related("region")
    year = date.today().year
    await load_standards(year)
    specs = [
        BatchSpec(
            title=f"{year}年无锡市职业培训券（通用面值券）",
            region="320200",
            value_mode=ValueMode.FACE_VALUE,
            face_value_fen=50_000,
            distribution=DistributionMode.GENERAL,
            project_types=["就业技能培训"],
            occupation="电工",
            eligible_groups=["失业人员", "毕业年度高校毕业生", "农村转移就业劳动者"],
            validity_mode=ValidityMode.DAYS_AFTER_CLAIM,
            valid_days=90,
            quantity=1000,
        ),
        BatchSpec(
            title=f"{year}年无锡市企业职工定向抵用券",
            region="320200",
            value_mode=ValueMode.DEDUCTION,
            distribution=DistributionMode.TARGETED,
            project_types=["企业职工培训"],
            eligible_groups=["企业职工"],
            validity_mode=ValidityMode.FIXED_DATE,
            valid_until_date=date(year, 12, 31),
            quantity=500,
        ),
    ]
    for spec in specs:
        batch = await Batch.get_or_none(title=spec.title, region_id=spec.region)
        if batch is None:
            batch = await create_batch(wuxi, spec)
        if batch.status == BatchStatus.DRAFT:
            await publish_batch(svc, wuxi, batch.id)

    id_number = DEMO_TRAINEE_17 + check_digit(DEMO_TRAINEE_17)
    account, token = await open_session(svc, AccountChannel.H5, "demo", "demo-trainee")
    if account.person_id is None:
        await bind_verified_identity(
            svc.keys, account, "王小明", id_number, provider="demo", out_seq_no=f"demo-{secrets.token_hex(8)}"
        )
    lines.append(f"demo trainee session (expires in {svc.session_token_ttl_s // 60} min): {token}")
    lines.append(f"H5 wallet: /h5/wallet#token={token}")
    lines += await load_demo_institution(svc, var_dir)
    lines.append(
        "WeChat sandbox (/_sandbox/wechat, see README): log in with code sandbox<name>, "
        "face-verify as 王小明 320202199003070012"
    )
    return lines
