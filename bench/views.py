"""What the measured views do, with the generated module or a framework's own session.

Every session app serves the measured view at MEASURED and, to check it, SEED (writes
STORED_SESSION, the session the measured requests' cookie carries) and DUMP (the session
as JSON). The measured views:

- "untouched": returns a constant as long as a cart id, never touching the session;
- "read": returns the cart id the session holds;
- "write": returns the cart id and writes USER_ID into the session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from types import ModuleType
from typing import cast

CART_ID = "00000000-0000-4000-8000-000000000000"
"""What the untouched and plain views return: as long as a cart id."""

USER_ID = 123456
STORED_SESSION: dict[str, object] = {"cart_id": str(uuid.uuid4()), "user_id": 654321}
"""The session the measured requests carry: the write view then writes USER_ID over it."""
WRITTEN_SESSION: dict[str, object] = {**STORED_SESSION, "user_id": USER_ID}

MEASURED, SEED, DUMP = "/", "/seed", "/dump"
SESSION_VIEWS = ("untouched", "read", "write")

NativeSession = Callable[[], MutableMapping[str, object]]
"""The framework's own session of the current request, fetched only when called."""


@dataclass(frozen=True)
class View:
    """A view body: given the native session's getter (unused by generated views)."""

    body: Callable[[NativeSession], str]
    touches: bool
    """Whether it uses the session (aiohttp's own session must be awaited first)."""


def untouched(session: NativeSession) -> str:
    return CART_ID


def dump(session: Mapping[str, object]) -> str:
    return json.dumps(dict(session.items()), sort_keys=True)


def _native_read(session: NativeSession) -> str:
    return str(session().get("cart_id", ""))


def _native_write(session: NativeSession) -> str:
    opened = session()
    cart_id = str(opened.get("cart_id", ""))
    opened["user_id"] = USER_ID
    return cart_id


def _native_seed(session: NativeSession) -> str:
    session().update(STORED_SESSION)
    return "seeded"


PLAIN: dict[str, View] = {MEASURED: View(untouched, touches=False)}


def native_views(kind: str) -> dict[str, View]:
    """The routes of a native session app whose measured view is of that kind."""
    bodies = {"untouched": untouched, "read": _native_read, "write": _native_write}
    return {
        MEASURED: View(bodies[kind], touches=kind != "untouched"),
        SEED: View(_native_seed, touches=True),
        DUMP: View(lambda session: dump(session()), touches=True),
    }


def generated_views(module: ModuleType, kind: str) -> dict[str, View]:
    """The same routes, using a generated module's get_session and set_session."""
    get_session = cast(Callable[[], Mapping[str, object]], module.get_session)
    set_session = cast(Callable[[Mapping[str, object]], None], module.set_session)

    def read(session: NativeSession) -> str:
        return str(get_session().get("cart_id", ""))

    def write(session: NativeSession) -> str:
        cart_id = str(get_session().get("cart_id", ""))
        set_session({"user_id": USER_ID})
        return cart_id

    def seed(session: NativeSession) -> str:
        set_session(STORED_SESSION)
        return "seeded"

    bodies = {"untouched": untouched, "read": read, "write": write}
    return {
        MEASURED: View(bodies[kind], touches=False),
        SEED: View(seed, touches=False),
        DUMP: View(lambda session: dump(get_session()), touches=False),
    }
