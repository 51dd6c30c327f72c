"""Where a tap on a trainee's voucher notice leads: a mini-program page (subscribe messages, and
the Official Account's `miniprogram`) and an H5 page (the Official Account's `url`, where the
WeChat client cannot open a mini program). Most notices open the voucher; the completion notice
opens the evaluation of the training (issue 21), as it invites one."""

from __future__ import annotations

VOUCHER_PAGE = "pages/vouchers/detail"
EVALUATION_PAGE = "pages/evaluations/edit"
INVITES_EVALUATION = frozenset({"voucher_completed"})


def miniapp_page(kind: str, code: str) -> str:
    if kind in INVITES_EVALUATION:
        return f"{EVALUATION_PAGE}?voucher={code}"
    return f"{VOUCHER_PAGE}?code={code}"


def h5_path(kind: str, code: str) -> str:
    if kind in INVITES_EVALUATION:
        return f"/h5/evaluate?voucher={code}"
    return f"/h5/wallet?code={code}"  # the wallet opens that voucher
