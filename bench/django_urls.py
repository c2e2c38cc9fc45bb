"""URLs of the Django apps the bench calls (its ROOT_URLCONF)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench.views import CART_ID, USER_ID

generated_views: list[Callable[[], str]] = []
"""The generated module's view body, registered by bench.apps before any request."""


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(CART_ID, content_type="text/plain")


def native(request: HttpRequest) -> HttpResponse:
    cart_id = request.session.get("cart_id", "")
    request.session["user_id"] = USER_ID
    return HttpResponse(cart_id, content_type="text/plain")


def generated(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generated_views[0](), content_type="text/plain")


urlpatterns = [
    path("plain", plain),
    path("native", native),
    path("generated", generated),
]
