"""What every session view does: read the cart id, write the user id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import cast

CART_ID = "00000000-0000-4000-8000-000000000000"
"""What the plain views return: as long as a cart id."""

USER_ID = 123456


def generated_view(module: ModuleType) -> Callable[[], str]:
    """A view body using a generated module's get_session and set_session."""
    get_session = cast(Callable[[], Mapping[str, object]], module.get_session)
    set_session = cast(Callable[[Mapping[str, object]], None], module.set_session)

    def view() -> str:
        cart_id = str(get_session().get("cart_id", ""))
        set_session({"user_id": USER_ID})
        return cart_id

    return view
