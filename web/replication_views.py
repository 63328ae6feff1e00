"""What the pages show of the replication network: the profile's "Cara mereplikasi" block and
where an innovation spread, a province's hub page, the national map, and replication
statistics (also as CSV). Numbers come from the catalog (replication records) and the
search service (innovations by province and sector); nothing here writes."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from catalog.hubs import hubs
from catalog.record import Innovation
from catalog.regions import province as province_named, province_names, regencies
from catalog.replications import Replication, Replications
from catalog.schema import REPLICATION_STATUSES
from search_api.query import Filters, SearchRequest

from . import i18n
from .maps import hub_href, tile_map

STAT_KINDS = ("year", "province", "sector")
HUB_LISTED = 10
ALL_VALUES = 10_000


def search_href(**params) -> str:
    return "/?" + urlencode(params)


# ---------------------------------------------------------------- profile
@dataclass(frozen=True)
class Link:
    text: str
    href: str | None  # None: shown as text


@dataclass(frozen=True)
class KitRow:
    key: str  # i18n key of the row's label
    value: str | list | None  # None: not known


def replication_kit(record: Innovation, lang: str) -> list[KitRow]:
    """How to replicate it, from the readiness fields; a row is None where nothing is known."""
    cost = None
    if record.budget is not None or record.budget_source:
        amount = f"Rp {i18n.number(lang, record.budget)}" if record.budget is not None else None
        cost = " · ".join(p for p in (amount, record.budget_source) if p)
    # The unit, the role and the website are the public channel; the contact person's name,
    # e-mail and telephone are private (catalog.record.PRIVATE_FIELDS).
    contact = [p for p in (record.contact_role, record.contact_unit) if p]
    channels = [Link(record.contact_website, record.contact_website)] if record.contact_website else []
    return [
        KitRow("kit_what", record.replication),
        KitRow("kit_cost", cost),
        KitRow("kit_staff", record.replication_staff),
        KitRow("kit_time", record.replication_time),
        KitRow("kit_regulation", record.regulation),
        KitRow("kit_infrastructure", record.replication_infrastructure),
        KitRow("kit_materials", [Link(m, m if m.startswith(("http://", "https://")) else None)
                                 for m in record.replication_materials or []] or None),
        KitRow("kit_contact", ", ".join(contact) if contact else None),
        KitRow("kit_channel", channels or None),
    ]


def profile(catalog, doc, lang: str) -> dict:
    """The profile's replication sections: records by status, where it spread (list and
    map), the chain it was adapted from, and the readiness block."""
    reps = Replications(catalog)
    records = reps.of([doc.id])[doc.id]
    chain = reps.adapted_from(doc.id)
    origins = reps.origins({r.innovation_id for r in chain} | {r.adapted_innovation_id for r in records
                                                               if r.adapted_innovation_id})
    by_status = Counter(r.status for r in records)
    spread = Counter(r.province for r in records if r.province)
    origin = doc.record.province
    kit = replication_kit(doc.record, lang)
    return {
        "replications": records,
        "by_status": [(s, by_status[s]) for s in REPLICATION_STATUSES if by_status[s]],
        "adapted_from": [(r, origins[r.innovation_id]) for r in chain],
        "adopters": origins,
        "spread_map": tile_map(spread, hub_href,
                               lambda name, n: i18n.text(lang, "map_spread_label", province=name, n=n),
                               {origin: "origin"} if origin else None) if records else None,
        "kit": kit,
        "kit_unknown": sum(1 for row in kit if row.value is None),
    }


# ---------------------------------------------------------------- network-wide numbers
def _records_with_origins(catalog) -> tuple[list[Replication], dict]:
    reps = Replications(catalog)
    records = reps.search()
    return records, reps.origins({r.innovation_id for r in records})


def stats(catalog, kind: str) -> list[dict]:
    """Replication records counted per year, per province (from → to) or per sector of the
    original innovation. Unknown values count under None (shown as "tidak diketahui")."""
    records, origins = _records_with_origins(catalog)
    if kind == "year":
        counted = Counter(r.year for r in records)
        return [{"year": y, "count": n} for y, n in sorted(counted.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]
    if kind == "province":
        counted = Counter((origins[r.innovation_id].province, r.province) for r in records)
        return [{"from_province": a, "to_province": b, "count": n}
                for (a, b), n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0][0] or "~", kv[0][1] or "~"))]
    counted = Counter(origins[r.innovation_id].sector for r in records)
    return [{"sector": s, "count": n} for s, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0] or "~"))]


def _innovations_by_province(service) -> dict[str, int]:
    return dict(service.stats(SearchRequest())["facets"].get("province", []))


def national(service, catalog, colour_by: str, lang: str) -> dict:
    """The /hub page: the 38 provinces with innovations, replications in and out, hubs."""
    records, origins = _records_with_origins(catalog)
    innovations = _innovations_by_province(service)
    into = Counter(r.province for r in records if r.province)
    out = Counter(origins[r.innovation_id].province for r in records if origins[r.innovation_id].province)
    known = hubs()
    values = into if colour_by == "replications" else innovations
    label_key = "map_replications_label" if colour_by == "replications" else "map_innovations_label"
    rows = []
    for name in province_names():
        rows.append({"province": name, "href": hub_href(name), "search": search_href(province=name),
                     "innovations": innovations.get(name, 0), "into": into.get(name, 0), "out": out.get(name, 0),
                     "hub": known.get(name)})
    return {
        "map": tile_map(values, hub_href,
                        lambda name, n: i18n.text(lang, label_key, province=name, n=n, into=into.get(name, 0),
                                                  innovations=innovations.get(name, 0)) +
                        (" " + i18n.text(lang, "map_hub_label") if name in known else ""),
                        {name: "hub" for name in known}),
        "colour_by": colour_by, "rows": rows, "hub_count": len(known), "records": len(records),
        "stats": {kind: stats(catalog, kind) for kind in STAT_KINDS},
    }


def hub(service, catalog, province_name: str, lang: str) -> dict:
    """One province's hub page."""
    found = service.search(SearchRequest(filters=Filters({"province": (province_name,)}), size=HUB_LISTED,
                                         sort="most_replicated", facet_size=ALL_VALUES))
    facets = {name: {v["value"]: v["count"] for v in f["values"]} for name, f in found["facets"].items()}
    published = set(facets.get("regency_city", {}))
    code = province_named(province_name).code
    reps = Replications(catalog)
    into = reps.search(to_province_code=code)
    out = reps.search(from_province=province_name)
    origins = reps.origins({r.innovation_id for r in into + out})
    destinations = Counter(r.province for r in out if r.province)
    sectors = sorted(facets.get("sector", {}).items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return {
        "province": province_name, "hub": hubs().get(province_name), "total": found["total"], "hits": found["hits"],
        "search": search_href(province=province_name),
        "sectors": [(s, n, search_href(province=province_name, sector=s)) for s, n in sectors],
        "into": [(r, origins[r.innovation_id]) for r in into], "out": [(r, origins[r.innovation_id]) for r in out],
        "without": [r.name for r in regencies(province_name) if r.name not in published],
        "regency_total": len(regencies(province_name)),
        "map": tile_map(destinations, hub_href,
                        lambda name, n: i18n.text(lang, "map_spread_label", province=name, n=n),
                        {province_name: "origin"}),
    }
