"""Server-side SVG maps: a tile grid of the 38 provinces laid out roughly as they lie (west to
east, north to south), one square each, so nothing is downloaded and every province is the
same size to click. Each tile is a link; the page shows the same numbers as a table."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from catalog.regions import provinces, slug

TILE, GAP, PAD = 46, 4, 4
# (column, row) of each province, by Kemendagri code; the short label is ISO 3166-2:ID's.
LAYOUT: dict[str, tuple[int, int, str]] = {
    "11": (0, 0, "AC"), "12": (1, 0, "SU"), "21": (3, 0, "KR"), "13": (1, 1, "SB"), "14": (2, 1, "RI"),
    "17": (1, 2, "BE"), "15": (2, 2, "JA"), "16": (3, 2, "SS"), "19": (4, 2, "BB"), "18": (3, 3, "LA"),
    "31": (5, 3, "JK"), "36": (4, 4, "BT"), "32": (5, 4, "JB"), "33": (6, 4, "JT"), "34": (6, 5, "YO"),
    "35": (7, 4, "JI"), "51": (8, 4, "BA"), "52": (9, 4, "NB"), "53": (10, 4, "NT"),
    "61": (5, 2, "KB"), "62": (6, 2, "KT"), "63": (7, 3, "KS"), "64": (7, 2, "KI"), "65": (7, 1, "KU"),
    "75": (9, 1, "GO"), "71": (10, 1, "SA"), "76": (8, 2, "SR"), "72": (9, 2, "ST"), "73": (8, 3, "SN"),
    "74": (9, 3, "SG"), "82": (11, 1, "MU"), "81": (11, 3, "MA"),
    "96": (12, 1, "PD"), "92": (13, 1, "PB"), "91": (14, 1, "PA"), "94": (13, 2, "PT"), "95": (14, 2, "PE"),
    "93": (14, 3, "PS"),
}
CLASSES = 5  # colour steps: class 0 is "none", 1-4 on a log scale up to the largest value


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    short: str
    x: int
    y: int
    value: int
    level: int  # colour class 0..CLASSES-1
    href: str
    label: str  # what a screen reader says: name and numbers
    mark: str | None = None  # a second state drawn as an outline: "hub", "origin"


@dataclass(frozen=True)
class TileMap:
    width: int
    height: int
    tiles: list[Tile]
    top: int  # the largest value (legend)


def _level(value: int, top: int) -> int:
    """On a log scale: one province with many innovations (Jawa Timur) would otherwise leave
    every other province in the palest step."""
    if value <= 0 or top <= 0:
        return 0
    if value >= top:
        return CLASSES - 1
    return min(CLASSES - 2, 1 + int((CLASSES - 2) * math.log1p(value) / math.log1p(top)))


def tile_map(values: Mapping[str, int], href: Callable[[str], str], label: Callable[[str, int], str],
             marks: Mapping[str, str] | None = None) -> TileMap:
    """``values`` by province name; ``href``/``label`` build each tile's link and spoken text."""
    marks = marks or {}
    top = max(values.values(), default=0)
    tiles = []
    for p in provinces():
        col, row, short = LAYOUT[p.code]
        value = values.get(p.name, 0)
        tiles.append(Tile(p.code, p.name, short, PAD + col * (TILE + GAP), PAD + row * (TILE + GAP), value,
                          _level(value, top), href(p.name), label(p.name, value), marks.get(p.name)))
    columns = 1 + max(c for c, _, _ in LAYOUT.values())
    rows = 1 + max(r for _, r, _ in LAYOUT.values())
    return TileMap(2 * PAD + columns * (TILE + GAP) - GAP, 2 * PAD + rows * (TILE + GAP) - GAP, tiles, top)


def hub_href(province_name: str) -> str:
    return f"/hub/{slug(province_name)}"
