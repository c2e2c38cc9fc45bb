"""The codecs the bench measures: the generated module's, the frameworks' own, the floor.

Each codec turns a session dict into a cookie value and back, with the steps its
framework runs per request (key objects and serializers built once, the way each
framework builds them). Decoding must check the signature and the age.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol, cast

MAX_AGE_SECONDS = 14 * 24 * 60 * 60
"""Every codec's maximum age: the generated module's default, Flask's, Starlette's, Django's."""

SECRET = "bench-secret-" + "x3Jq9vLr0TzKp8WmYc2HdN5sBf7GaUe4" * 2
"""One secret for every codec (64 characters)."""

Payload = Mapping[str, object]

FLOOR = "floor (stdlib)"
FLASK = "Flask"
FLASK_PER_REQUEST = "Flask, serializer per request"
STARLETTE = "Starlette SessionMiddleware"
DJANGO = "Django signed_cookies"
ITSDANGEROUS = "itsdangerous URLSafeTimedSerializer"
NATIVE_NAMES = (FLOOR, FLASK, FLASK_PER_REQUEST, STARLETTE, DJANGO, ITSDANGEROUS)
"""The codecs native_codecs() returns, in its order."""


def small_session() -> dict[str, object]:
    """A cart id and a user id: 67 bytes as compact JSON."""
    return {"cart_id": str(uuid.uuid4()), "user_id": 123456}


def large_session() -> dict[str, object]:
    """The same plus 24 recently seen ids: about 1 KB as compact JSON."""
    recent = [str(uuid.uuid4()) for _ in range(24)]
    return {**small_session(), "recent": recent}


def compact_size(session: Payload) -> int:
    return len(json.dumps(session, separators=(",", ":")).encode())


class BenchError(RuntimeError):
    """A measured path did not do what it should: the bench refuses to time it."""


@dataclass(frozen=True)
class Codec:
    """A way to store a session in a cookie value: encode, and decode (verifying it)."""

    name: str
    encode: Callable[[Payload], str]
    decode: Callable[[str], object]


def verify(codec: Codec, payload: Payload) -> str:
    """Encode payload, check that it decodes back unchanged, return the cookie value."""
    value = codec.encode(payload)
    decoded = codec.decode(value)
    if decoded != payload:
        raise BenchError(f"{codec.name}: decode(encode(x)) gave {decoded!r} for {payload!r}")
    return value


class GeneratedCodec(Protocol):
    """The SessionCodec class of a generated utilities/session.py."""

    def encode(self, session: Payload, now: float) -> str: ...

    def decode(self, value: str, now: float) -> Payload: ...


def generated(name: str, module: ModuleType, secret: str = SECRET) -> Codec:
    """The generated module's SessionCodec, with the clock read on every call."""
    factory = cast(Callable[[bytes], GeneratedCodec], module.SessionCodec)
    codec = factory(secret.encode())
    now = time.time

    def encode(session: Payload) -> str:
        return codec.encode(session, now())

    def decode(value: str) -> object:
        return codec.decode(value, now())

    return Codec(name, encode, decode)


FLOOR_HEADER = struct.Struct(">BII")
"""The floor's header, the module's size: a version byte, expiry and first-issued time."""


def floor(secret: str = SECRET) -> Codec:
    """The standard-library floor: compact json, HMAC-SHA256, base64url, expiry.

    The simplest sound signed cookie, written plainly with the best use of the
    standard library's HMAC: the module's 9-byte header (version, expiry, first
    issued), the compact JSON, then their HMAC-SHA256 from an hmac.new() object keyed
    once and copied per message, all base64url without padding.
    """
    keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def mac(payload: bytes) -> bytes:
        copied = keyed.copy()
        copied.update(payload)
        return copied.digest()

    def encode(session: Payload) -> str:
        now = int(time.time())
        header = FLOOR_HEADER.pack(2, now + MAX_AGE_SECONDS, now)
        payload = header + json.dumps(session, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload + mac(payload)).rstrip(b"=").decode()

    def decode(value: str) -> object:
        signed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        payload, signature = signed[:-32], signed[-32:]
        if not hmac.compare_digest(mac(payload), signature):
            return {}
        version, expires, _ = FLOOR_HEADER.unpack_from(payload)
        if version != 2 or expires <= time.time():
            return {}
        return json.loads(payload[FLOOR_HEADER.size :].decode())

    return Codec(FLOOR, encode, decode)


MODULE_MAC = "module's HMAC (_MacKey)"
STDLIB_MAC = "hmac.new, copied"
DIGEST_MAC = "hmac.digest"


def macs(module: ModuleType, secret: str = SECRET) -> dict[str, Callable[[bytes], bytes]]:
    """HMAC-SHA256 under the module's signing key: its own class and the stdlib's two ways."""
    key = cast(Callable[[bytes, str], bytes], module._derive_key)(secret.encode(), "signed")
    mac_key = module._MacKey(key)
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def stdlib(message: bytes) -> bytes:
        copied = keyed.copy()
        copied.update(message)
        return copied.digest()

    return {
        MODULE_MAC: cast(Callable[[bytes], bytes], mac_key.digest),
        STDLIB_MAC: stdlib,
        DIGEST_MAC: lambda message: hmac.digest(key, message, "sha256"),
    }


def flask_codecs(secret: str = SECRET) -> list[Codec]:
    """Flask's SecureCookieSessionInterface serializer, as built once and per request.

    Flask calls get_signing_serializer(app) on every request (in open_session and
    again in save_session), so the second codec includes building it.
    """
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    app = Flask("bench_codecs")
    app.secret_key = secret
    interface = SecureCookieSessionInterface()
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    max_age = int(app.permanent_session_lifetime.total_seconds())

    def encode(session: Payload) -> str:
        return serializer.dumps(dict(session))

    def decode(value: str) -> object:
        return serializer.loads(value, max_age=max_age)

    def encode_per_request(session: Payload) -> str:
        built = interface.get_signing_serializer(app)
        assert built is not None
        return built.dumps(dict(session))

    def decode_per_request(value: str) -> object:
        built = interface.get_signing_serializer(app)
        assert built is not None
        return built.loads(value, max_age=max_age)

    return [
        Codec(FLASK, encode, decode),
        Codec(FLASK_PER_REQUEST, encode_per_request, decode_per_request),
    ]


def starlette_codec(secret: str = SECRET) -> Codec:
    """The steps of Starlette's SessionMiddleware (starlette/middleware/sessions.py)."""
    import itsdangerous

    signer = itsdangerous.TimestampSigner(secret)

    def encode(session: Payload) -> str:
        data = base64.b64encode(json.dumps(session).encode("utf-8"))
        return signer.sign(data).decode("utf-8")

    def decode(value: str) -> object:
        data = signer.unsign(value.encode("utf-8"), max_age=MAX_AGE_SECONDS)
        return json.loads(base64.b64decode(data))

    return Codec(STARLETTE, encode, decode)


DJANGO_SALT = "django.contrib.sessions.backends.signed_cookies"


def configure_django(secret: str = SECRET) -> None:
    """Minimal Django settings (once per process) for signing and a WSGI handler."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            SECRET_KEY=secret,
            ALLOWED_HOSTS=["localhost"],
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            SESSION_COOKIE_AGE=MAX_AGE_SECONDS,
            ROOT_URLCONF="bench.django_urls",
            USE_TZ=True,
        )
        import django

        django.setup()


def django_codec(secret: str = SECRET) -> Codec:
    """Django's signed_cookies backend: signing.dumps/loads with its salt, compressed."""
    configure_django(secret)
    from django.core import signing

    def encode(session: Payload) -> str:
        return signing.dumps(
            dict(session),
            key=secret,
            salt=DJANGO_SALT,
            serializer=signing.JSONSerializer,
            compress=True,
        )

    def decode(value: str) -> object:
        return signing.loads(
            value,
            key=secret,
            salt=DJANGO_SALT,
            serializer=signing.JSONSerializer,
            max_age=MAX_AGE_SECONDS,
        )

    return Codec(DJANGO, encode, decode)


def itsdangerous_codec(secret: str = SECRET) -> Codec:
    """itsdangerous' URLSafeTimedSerializer with its defaults."""
    from itsdangerous import URLSafeTimedSerializer

    serializer = URLSafeTimedSerializer(secret)

    def encode(session: Payload) -> str:
        return serializer.dumps(dict(session))

    def decode(value: str) -> object:
        return serializer.loads(value, max_age=MAX_AGE_SECONDS)

    return Codec(ITSDANGEROUS, encode, decode)


def native_codecs(secret: str = SECRET) -> list[Codec]:
    """The floor first, then every framework's own codec."""
    return [
        floor(secret),
        *flask_codecs(secret),
        starlette_codec(secret),
        django_codec(secret),
        itsdangerous_codec(secret),
    ]
