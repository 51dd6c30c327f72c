"""The fit rule has two forms: `misfit` (what sign-up enforces and each catalogue entry lists) and
`fitting_classes` (the same rule as a query, so the catalogue filters and pages in the database).
Over a matrix of vouchers and classes, they give the same answers."""

from __future__ import annotations

import itertools

from models import Institution, TrainingClass, Voucher
from tests.support.catalogue import open_class
from tests.support.factories import bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, institution, site
from vouchers.catalogue.fit import fits, fitting_classes
from vouchers.common.clock import utcnow

PROJECTS = ("就业技能培训", "创业培训")
OCCUPATIONS = ("电工", "焊工", None)


async def test_the_query_and_the_function_agree(client, svc):
    await regions()
    jiangsu = await bureau(svc, "jiangsu", "320000")
    wuxi = await bureau(svc, "wuxi", "320200")
    chongqing = await bureau(svc, "chongqing", "500000")
    places = [(wuxi, "320200"), (wuxi, "320281"), (jiangsu, "320000"), (chongqing, "500000")]
    for (token, region), project, occupation in itertools.product(places, PROJECTS, OCCUPATIONS):
        _, commissioner = await institution(client, token, region=region)
        s = await site(client, commissioner)
        extra = {"occupation": occupation} if occupation else {}
        await open_class(client, commissioner, [s["id"]], project_type=project, **extra)
    batches = [
        (wuxi, {}),  # Wuxi, 就业技能培训, 电工
        (wuxi, {"occupation": None, "usable_regions": ["320281"]}),  # Jiangyin only, any trade
        (jiangsu, {"region": "320000", "occupation": None, "project_types": list(PROJECTS)}),  # the province
        (jiangsu, {"region": "320000", "occupation": "焊工", "usable_regions": ["320282", "320281"]}),
        (chongqing, {"region": "500000", "project_types": ["创业培训"], "occupation": None}),
    ]
    vouchers = []
    for n, (token, overrides) in enumerate(batches):
        batch = await published_batch(client, token, title=f"券{n}", **overrides)
        _, code = await claimed_voucher(client, svc, batch["id"])
        vouchers.append(await Voucher.get(code=code).prefetch_related("batch"))

    now = utcnow()
    classes = await TrainingClass.all().prefetch_related("institution__region")
    assert len(classes) == 24
    for voucher in vouchers:
        query = await fitting_classes([voucher])
        assert query is not None
        by_query = set(await TrainingClass.filter(query).values_list("id", flat=True))
        by_function = {c.id for c in classes if fits(voucher, c, c.institution.region.path, now)}
        assert by_query == by_function, voucher.batch.title
        assert by_function, voucher.batch.title  # each voucher fits something: the test means something
    # Several vouchers: the union.
    union = set(await TrainingClass.filter(await fitting_classes(vouchers)).values_list("id", flat=True))
    assert union == {c.id for c in classes if any(fits(v, c, c.institution.region.path, now) for v in vouchers)}
    assert union != {c.id for c in classes}
    assert await fitting_classes([]) is None
    assert await Institution.all().count() == 24
