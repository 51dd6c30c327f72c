"""Where a tap on a notice leads. An Official Account template message opens the mini program
(`miniprogram: {appid, pagepath}`) and falls back to `url` where the WeChat client cannot open
one; institutions have no mini program, so theirs opens the institution portal."""

from __future__ import annotations

from dataclasses import dataclass

from vouchers.notices.tap_targets import VOUCHER_PAGE, h5_path, miniapp_page


@dataclass(frozen=True)
class NoticeLinks:
    miniapp_id: str  # [wechat] app_id: the e-social-security-card mini program
    public_url: str  # [server] public_url: where our H5 pages are

    def voucher_page(self, code: str) -> dict[str, str]:
        return {"appid": self.miniapp_id, "pagepath": f"{VOUCHER_PAGE}?code={code}"}

    def page_for(self, kind: str, code: str) -> dict[str, str]:
        """The mini-program page a trainee notice of `kind` opens."""
        return {"appid": self.miniapp_id, "pagepath": miniapp_page(kind, code)}

    def url_for(self, kind: str, code: str) -> str:
        """The H5 page it opens where a mini program cannot be."""
        return f"{self.public_url.rstrip('/')}{h5_path(kind, code)}"

    @property
    def wallet_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/h5/wallet"

    def voucher_url(self, code: str) -> str:
        """The H5 wallet opened at one voucher: where a client that cannot open the mini program goes."""
        return f"{self.wallet_url}?code={code}"

    @property
    def institution_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/institution/notices"
