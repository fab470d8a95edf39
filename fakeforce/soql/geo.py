"""DISTANCE(location, GEOLOCATION(lat, lon), 'mi'|'km') over geolocation compound fields.

Per the SOQL docs (Location-Based SOQL Queries): DISTANCE may appear in SELECT, WHERE and ORDER BY; its first
argument is a location field (or a GEOLOCATION), its second a GEOLOCATION of literal coordinates, its unit
'mi' or 'km' (any case); latitude is -90..90, longitude -180..180. Distances are great-circle (haversine).
"""

from __future__ import annotations

import math
from typing import Any, Callable

from . import ast
from .errors import malformed

EARTH_RADIUS = {"mi": 3958.7613, "km": 6371.0088}


def haversine(a: tuple[float, float], b: tuple[float, float], unit: str) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS[unit] * math.asin(min(1.0, math.sqrt(h)))


def geolocation(call: Any, soql: str) -> tuple[float, float]:
    """The literal point of ``GEOLOCATION(lat, lon)``, or MALFORMED_QUERY where it is anything else."""
    if not (isinstance(call, ast.Call) and call.name == "GEOLOCATION" and len(call.args) == 2
            and all(isinstance(v, ast.Value) and v.kind == "number" for v in call.args)):
        raise malformed("DISTANCE() needs GEOLOCATION(latitude, longitude) of number literals", soql,
                        getattr(call, "pos", None))
    lat, lon = (float(v.value) for v in call.args)  # type: ignore[union-attr]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise malformed(f"Invalid geolocation: latitude {lat}, longitude {lon}", soql, call.pos)
    return lat, lon


def distance_parts(call: ast.Call, soql: str) -> tuple[Any, tuple[float, float], str]:
    """(the location argument, the literal point, the unit) of a DISTANCE() call."""
    if len(call.args) != 3:
        raise malformed("unexpected token: 'DISTANCE'", soql, call.pos)
    field, point, unit = call.args
    if not (isinstance(unit, ast.Value) and unit.kind == "string" and unit.value.lower() in EARTH_RADIUS):
        raise malformed("DISTANCE() unit must be 'mi' or 'km'", soql, getattr(unit, "pos", call.pos))
    if not isinstance(field, ast.Path):
        raise malformed("unexpected token: 'GEOLOCATION'", soql, getattr(field, "pos", call.pos))
    return field, geolocation(point, soql), unit.value.lower()


def distance_getter(location: Callable[[dict, Any], Any], point: tuple[float, float], unit: str):
    """A getter: the distance from the record's location (``{"latitude", "longitude"}``) to the point, or null."""
    def get(r: dict, ctx: Any) -> float | None:
        value = location(r, ctx)
        if not isinstance(value, dict) or value.get("latitude") is None or value.get("longitude") is None:
            return None
        return haversine((float(value["latitude"]), float(value["longitude"])), point, unit)

    return get
