"""``POST /v1/traces``: OpenTelemetry traces (OTLP/HTTP) as events (filled in part 3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
