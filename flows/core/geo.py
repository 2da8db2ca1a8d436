"""Distances on the ground, for "nearest first" lists (the hall, the directory)."""
from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

# Sorting needs no exact distance: squared degrees, with longitude shrunk by cos(47°) ≈ 0.68
# squared (Heilongjiang's latitude), order the rows the same way and run inside the database.
LNG_WEIGHT = 0.45


def km(near: tuple[float, float] | None, lat: float | None, lng: float | None) -> float | None:
    """Great-circle kilometres from `near` to (lat, lng), to 0.1 km; None when either is unknown."""
    if near is None or lat is None or lng is None:
        return None
    lat1, lng1, lat2, lng2 = map(radians, (near[0], near[1], lat, lng))
    a = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lng2 - lng1) / 2) ** 2
    return round(6371 * 2 * asin(sqrt(a)), 1)


def nearness(lat_column, lng_column, near: tuple[float, float]):
    """A SQL expression that orders rows by distance from `near` (smaller is nearer)."""
    lat, lng = near
    return (lat_column - lat) * (lat_column - lat) + (lng_column - lng) * (lng_column - lng) * LNG_WEIGHT
