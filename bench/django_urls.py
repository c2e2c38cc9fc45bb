"""The bench's ROOT_URLCONF: empty, as every Django app it calls has a URLconf of its own."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
