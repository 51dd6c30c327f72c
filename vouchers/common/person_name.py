"""What a person's name may be: CJK characters and letters of any script, the interpunct `·` of
minority and foreign names (阿卜杜·热西提), and single spaces (Anna Smith); 1 to 50 characters.

Nothing else: no digits, no punctuation, so a name can never start a spreadsheet formula (`=`,
`+`, `-`, `@`) in the bureau's exports. The look-alike dots that input methods type instead of
`·` (`•`, `・`, `･`, `‧`, `●`) are folded to it.
"""

from __future__ import annotations

import unicodedata

from vouchers.common import errors

INTERPUNCT = "·"
_LOOK_ALIKES = str.maketrans(dict.fromkeys("•・･‧●", INTERPUNCT))
MAX_LENGTH = 50


def person_name(raw: str) -> str:
    """The name in canonical form (NFC, single spaces, one kind of dot), or InvalidName."""
    name = " ".join(unicodedata.normalize("NFC", raw).translate(_LOOK_ALIKES).split())
    if not 1 <= len(name) <= MAX_LENGTH:
        raise errors.InvalidInput("姓名应为1至50个字符")
    if not all(ch.isalpha() or ch in (" ", INTERPUNCT) or unicodedata.category(ch) == "Mn" for ch in name):
        raise errors.InvalidName()
    if not name[0].isalpha() or not name[-1].isalpha():
        raise errors.InvalidName()
    return name
