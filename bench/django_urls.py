"""URLs of the Django apps the bench calls (its ROOT_URLCONF), added by bench.apps."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
