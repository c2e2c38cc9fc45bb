"""Hostile cookie values against the generated decoder, for every serializer and mode.

Each serializer x mode is rendered and its `SessionCodec` imported. Whatever the value,
`decode` must return without raising, and return a session only for a value that was
minted with a key the codec knows (the current secret or a fallback); anything else,
including every single-bit flip and every truncation of a valid cookie, reads as {}.
The number of examples comes from the Hypothesis profile (see conftest.py):
`--hypothesis-profile=long` for a long run.
"""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from helpers import ENCRYPT, SERIALIZERS
from servers import load_module

SECRET = b"the current secret, at least 32 bytes long"
OLD_SECRET = b"the previous secret, kept as a fallback key"
NOW = 1_800_000_000.0
HUGE = 10_001
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
VALID_SESSIONS: list[dict[str, object]] = [
    {},
    {"cart_id": "c-42"},
    {"cart_id": "7c9e6679f4a44b2b8d2e4f5b1b0c9d3a", "user_id": 12345},
    {"tags": ["é", "ü", "日本"], "ok": True, "n": -(2**40)},
]
FIELDS = {"cart_id": "str", "user_id": "int", "tags": "list[str]", "ok": "bool", "n": "int"}
"""The rendered Session declares every key the valid sessions use, so apps read them all."""
# Fewer examples for tests that go through a whole app: a request costs more than a decode.
APP_EXAMPLES = max(50, settings().max_examples // 5)

sessions = st.dictionaries(
    st.text(max_size=12),
    st.one_of(
        st.text(max_size=40),
        st.integers(-(2**62), 2**62),
        st.booleans(),
        st.lists(st.text(max_size=8), max_size=5),
    ),
    max_size=6,
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Decoder:
    """A rendered session module, a codec that knows SECRET and OLD_SECRET, and what it minted."""

    name: str
    module: ModuleType
    codec: Any
    minted: dict[str, Mapping[str, object]] = field(default_factory=dict)
    decoded: int = 0

    def mint(self, session: Mapping[str, object], key: bytes = SECRET, now: float = NOW) -> str:
        """A cookie for session made with key; remembered as minted when the codec knows key."""
        value: str = self.module.SessionCodec(key).encode(session, now)
        if key in (SECRET, OLD_SECRET) and now == NOW:
            self.minted[value] = session
        return value

    def decode(self, value: str, now: float = NOW) -> object:
        self.decoded += 1
        result: object = self.codec.decode(value, now)
        return result

    def check(self, value: str) -> None:
        """value decodes without raising, to its session if minted, else to {}."""
        result = self.decode(value)
        assert isinstance(result, dict)
        assert result == self.minted.get(value, {}), (value[:200], result)

    def valid_cookies(self) -> Iterator[str]:
        for key in (SECRET, OLD_SECRET):
            for session in VALID_SESSIONS:
                value = self.mint(session, key)
                assert self.decode(value) == session, (self.name, session)
                yield value


DecoderFor = Callable[[str, bool], Decoder]


@pytest.fixture(scope="session")
def decoder_for(render: Callable[..., Path]) -> Iterator[DecoderFor]:
    """The decoder of a serializer and mode, rendered and imported once per session."""
    built: dict[tuple[str, bool], Decoder] = {}

    def decoder(serializer: str, encrypt: bool) -> Decoder:
        if (serializer, encrypt) not in built:
            name = f"fuzz_{serializer}_{'encrypted' if encrypt else 'signed'}"
            project = render(
                framework="starlette",
                serializer=serializer,
                encrypt=encrypt,
                project_kind="existing",
                package_path=name,
                session_fields=FIELDS,
            )
            module = load_module(project / name / "utilities/session.py", f"{name}_session")
            codec = module.SessionCodec(SECRET, (OLD_SECRET,))
            built[serializer, encrypt] = Decoder(name, module, codec)
        return built[serializer, encrypt]

    yield decoder
    for found in built.values():
        print(f"\n{found.name}: {found.decoded} values decoded")


def combinations() -> list[Any]:
    return [
        pytest.param(
            serializer,
            encrypt,
            id=f"{serializer}-{mode}",
            marks=pytest.mark.xdist_group(f"fuzz-{serializer}-{mode}"),
        )
        for serializer in SERIALIZERS
        for encrypt, mode in ((e, "encrypted" if e else "signed") for e in ENCRYPT)
    ]


parametrize = pytest.mark.parametrize(("serializer", "encrypt"), combinations())


# Exhaustive mutations of valid cookies.


@parametrize
def test_every_single_bit_flip_of_a_valid_cookie_reads_as_empty(
    decoder_for: DecoderFor, serializer: str, encrypt: bool
) -> None:
    decoder = decoder_for(serializer, encrypt)
    for value in decoder.valid_cookies():
        for index, char in enumerate(value):
            for bit in range(8):
                flipped = value[:index] + chr(ord(char) ^ 1 << bit) + value[index + 1 :]
                assert decoder.decode(flipped) == {}, (value, index, bit)
        raw = unb64url(value)
        for index in range(len(raw)):
            for bit in range(8):
                mutated = bytearray(raw)
                mutated[index] ^= 1 << bit
                assert decoder.decode(b64url(bytes(mutated))) == {}, (value, index, bit)


@parametrize
def test_every_truncation_of_a_valid_cookie_reads_as_empty(
    decoder_for: DecoderFor, serializer: str, encrypt: bool
) -> None:
    decoder = decoder_for(serializer, encrypt)
    for value in decoder.valid_cookies():
        for end in range(len(value)):
            assert decoder.decode(value[:end]) == {}, (value, end)
            assert decoder.decode(value[end + 1 :]) == {}, (value, end)
        raw = unb64url(value)
        for end in range(len(raw)):
            assert decoder.decode(b64url(raw[:end])) == {}, (value, end)
            assert decoder.decode(b64url(raw[end + 1 :])) == {}, (value, end)


@parametrize
def test_valid_cookie_reads_as_empty_once_expired(
    decoder_for: DecoderFor, serializer: str, encrypt: bool
) -> None:
    decoder = decoder_for(serializer, encrypt)
    max_age = int(decoder.module.MAX_AGE_SECONDS)
    for value in decoder.valid_cookies():
        assert decoder.decode(value, NOW + max_age - 1) == decoder.minted[value]
        assert decoder.decode(value, NOW + max_age) == {}
        assert decoder.decode(value, NOW + 10 * max_age) == {}


# Generated values.


@parametrize
@given(
    value=st.one_of(
        st.text(),
        st.text(st.characters(codec="utf-8", exclude_categories=())),
        st.text(URLSAFE),
        st.text(URLSAFE + "=+/.;, \"'"),
    )
)
def test_arbitrary_text_reads_as_empty(
    decoder_for: DecoderFor, serializer: str, encrypt: bool, value: str
) -> None:
    decoder_for(serializer, encrypt).check(value)


@parametrize
@given(raw=st.binary())
def test_arbitrary_bytes_as_latin1_read_as_empty(
    decoder_for: DecoderFor, serializer: str, encrypt: bool, raw: bytes
) -> None:
    decoder_for(serializer, encrypt).check(raw.decode("latin-1"))


@parametrize
@given(
    version=st.sampled_from([0, 1, 2, 3, 255]),
    expires=st.one_of(st.just(int(NOW) + 3600), st.integers(0, 2**32 - 1)),
    body=st.binary(max_size=400),
)
def test_base64url_of_garbage_reads_as_empty(
    decoder_for: DecoderFor, serializer: str, encrypt: bool, version: int, expires: int, body: bytes
) -> None:
    decoder = decoder_for(serializer, encrypt)
    decoder.check(b64url(body))
    decoder.check(b64url(struct.pack(">BI", version, expires) + body))


@parametrize
@given(session=sessions, key=st.binary(min_size=32, max_size=64))
def test_only_cookies_minted_with_a_known_key_are_read(
    decoder_for: DecoderFor,
    serializer: str,
    encrypt: bool,
    session: dict[str, object],
    key: bytes,
) -> None:
    assume(key not in (SECRET, OLD_SECRET))
    decoder = decoder_for(serializer, encrypt)
    assert decoder.decode(decoder.mint(session, key)) == {}
    for known in (SECRET, OLD_SECRET):
        value = decoder.mint(session, known)
        assert decoder.decode(value) == session
        decoder.check(value)


@parametrize
@given(
    size=st.integers(HUGE, 24_000),
    chunk=st.text(min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
    version=st.sampled_from([1, 2]),
)
def test_huge_values_never_raise(
    decoder_for: DecoderFor,
    serializer: str,
    encrypt: bool,
    size: int,
    chunk: str,
    seed: int,
    version: int,
) -> None:
    decoder = decoder_for(serializer, encrypt)
    decoder.check((chunk * (size // len(chunk) + 1))[:size])
    garbage = random.Random(seed).randbytes(size)
    decoder.check(b64url(garbage))
    decoder.check(b64url(struct.pack(">BI", version, int(NOW) + 3600) + garbage))
    valid = decoder.mint({"cart_id": chunk})
    decoder.check(valid + b64url(garbage)[: size - len(valid)])
    huge = {"blob": chunk * (size // len(chunk) + 1)}
    decoder.check(decoder.mint(huge))
    assert decoder.decode(decoder.mint(huge)) == huge


# Repeated cookies through real apps.

Cookie = tuple[str, Mapping[str, object]]


def cookie_choices(decoder: Decoder) -> st.SearchStrategy[Cookie]:
    """Cookie values with the session each may read as ({} for invalid ones)."""
    valid: list[Cookie] = [
        (decoder.mint(session, key), session)
        for session in VALID_SESSIONS[1:]
        for key in (SECRET, OLD_SECRET)
    ]
    invalid: list[Cookie] = [
        (decoder.mint({"cart_id": "forged"}, b"an unknown key that is 32 bytes+"), {}),
        (valid[0][0][:-2], {}),
        (valid[0][0][:10] + ("B" if valid[0][0][10] == "A" else "A") + valid[0][0][11:], {}),
        ("", {}),
    ]
    garbage: st.SearchStrategy[Cookie] = st.text(URLSAFE + "=.", max_size=30).map(
        lambda text: (text, {})
    )
    return st.one_of(st.sampled_from(valid + invalid), garbage)


@dataclass
class App:
    """A real app that answers GET / with its session, and the decoder it uses."""

    decoder: Decoder
    send: Callable[[list[tuple[str, str]]], tuple[int, dict[str, object]]]
    comma_joined: bool = False
    """Several Cookie lines reach the app joined with ", ", as WSGI joins a repeated
    header: the session's value then runs into the next line and reads as invalid
    (never split on commas: a foreign cookie's value may hold ", name=...")."""


@pytest.fixture(scope="session")
def starlette_app(decoder_for: DecoderFor) -> Iterator[App]:
    decoder = decoder_for("json", False)
    module = decoder.module

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(dict(module.get_session()))

    app = Starlette(
        routes=[Route("/", read)],
        middleware=[
            Middleware(module.SessionCookieMiddleware, secret=SECRET, fallbacks=[OLD_SECRET])
        ],
    )
    with TestClient(app, base_url="https://testserver") as client:

        def send(headers: list[tuple[str, str]]) -> tuple[int, dict[str, object]]:
            reply = client.get("/", headers=headers)
            return reply.status_code, reply.json()

        yield App(decoder, send)


@pytest.fixture(scope="session")
def flask_app(render: Callable[..., Path], decoder_for: DecoderFor) -> App:
    name = "fuzz_flask_app"
    project = render(
        framework="flask", project_kind="existing", package_path=name, session_fields=FIELDS
    )
    module = load_module(project / name / "utilities/session.py", f"{name}_session")
    decoder = Decoder(name, module, module.SessionCodec(SECRET, (OLD_SECRET,)))
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET])
    app.add_url_rule("/", "read", lambda: dict(module.get_session()))
    client = app.test_client(use_cookies=False)

    def send(headers: list[tuple[str, str]]) -> tuple[int, dict[str, object]]:
        reply = client.get("/", headers=headers, base_url="https://localhost")
        body: dict[str, object] = reply.get_json()
        return reply.status_code, body

    return App(decoder, send, comma_joined=True)


@pytest.mark.xdist_group("fuzz-apps")
@pytest.mark.parametrize("app_name", ["starlette_app", "flask_app"])
def test_of_repeated_session_cookies_the_first_is_read(
    request: pytest.FixtureRequest, app_name: str
) -> None:
    app: App = request.getfixturevalue(app_name)
    name = str(app.decoder.module.COOKIE_NAME)
    choices = cookie_choices(app.decoder)

    @settings(max_examples=APP_EXAMPLES)
    @given(
        cookies=st.lists(choices, min_size=2, max_size=4),
        split=st.booleans(),
        other=st.booleans(),
    )
    def check(cookies: list[Cookie], split: bool, other: bool) -> None:
        pairs = [f"{name}={value}" for value, _ in cookies]
        if other:
            pairs.insert(1, "theme=dark")
        headers = [("Cookie", pair) for pair in pairs] if split else [("Cookie", "; ".join(pairs))]
        status, session = app.send(headers)
        assert status == 200, (headers, status)
        # the first cookie of the name is the one read, valid or not
        expected = {} if split and app.comma_joined else cookies[0][1]
        assert session == expected, (headers, session)

    check()
