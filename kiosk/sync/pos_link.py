"""The store's POS link, as its settings name it (``KIOSK_POS``): the signed webhook
(``pos``), Dutchie (``dutchie``), or none. Kept apart from both adapters so neither needs
the other."""

from __future__ import annotations

from kiosk.sync import pos
from kiosk.sync.dutchie import DutchiePos


def adapter(settings: dict) -> pos.PosAdapter | None:
    """The configured adapter, or None when the store has no POS link (``pos = none``)."""
    if str(settings.get("pos") or "none").startswith("dutchie+"):
        return DutchiePos.from_settings(settings)
    return pos.adapter(settings)
