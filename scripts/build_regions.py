"""Build catalog/vocab/provinces.csv and regencies.csv from the npm package `idn-area-data`.

    cd /tmp && npm pack idn-area-data && tar xzf idn-area-data-*.tgz
    python scripts/build_regions.py /tmp/package

The package's upper-case Kemendagri names become the project's display spelling:
"DAERAH ISTIMEWA YOGYAKARTA" -> "DI Yogyakarta",
"KABUPATEN PANGKAJENE DAN KEPULAUAN" -> "Kabupaten Pangkajene dan Kepulauan".
Record the package version and date in catalog/vocab/README.md when the data is rebuilt.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

VOCAB = Path(__file__).resolve().parent.parent / "catalog" / "vocab"
# Provinces whose display name is not the plain title-cased official name.
PROVINCE_NAMES = {"DKI JAKARTA": "DKI Jakarta", "DAERAH ISTIMEWA YOGYAKARTA": "DI Yogyakarta"}
# Regencies the package spells apart where Kemendagri's own documents write one word or a hyphen.
REGENCY_NAMES = {"KABUPATEN FAK FAK": "Kabupaten Fakfak", "KOTA BAU BAU": "Kota Baubau",
                 "KABUPATEN TOLI TOLI": "Kabupaten Toli-Toli"}
# Words kept lower-case inside place names ("Pangkajene dan Kepulauan").
LOWER_WORDS = {"dan"}


def title(word: str) -> str:
    if word.lower() in LOWER_WORDS:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def place_name(official: str) -> str:
    return " ".join(title(w) for w in official.split())


def province_name(official: str) -> str:
    return PROVINCE_NAMES.get(official, place_name(official))


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build(package: Path, out: Path) -> tuple[int, int]:
    provinces = sorted((r["code"], province_name(r["name"])) for r in read_rows(package / "data" / "provinces.csv"))
    regencies = sorted(
        (r["code"], r["province_code"], REGENCY_NAMES.get(r["name"], place_name(r["name"])))
        for r in read_rows(package / "data" / "regencies.csv")
    )
    codes = {code for code, _ in provinces}
    if len(provinces) != 38 or any(not re.fullmatch(r"\d\d", code) for code in codes):
        raise SystemExit(f"expected 38 two-digit province codes, got {len(provinces)}")
    for code, province_code, name in regencies:
        if province_code not in codes or not re.fullmatch(rf"{province_code}\.\d\d", code):
            raise SystemExit(f"regency {code} {name!r}: bad code or unknown province {province_code}")
        if not re.match(r"(Kabupaten|Kota) \S", name):
            raise SystemExit(f"regency {code} {name!r} is neither 'Kabupaten ...' nor 'Kota ...'")
    if len({name for _, _, name in regencies}) != len(regencies):
        raise SystemExit("regency names are not unique")
    out.mkdir(parents=True, exist_ok=True)
    write_rows(out / "provinces.csv", ["code", "name"], [list(p) for p in provinces])
    write_rows(out / "regencies.csv", ["code", "province_code", "name"], [list(r) for r in regencies])
    return len(provinces), len(regencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="unpacked idn-area-data package (holds package.json and data/)")
    parser.add_argument("--out", type=Path, default=VOCAB, help=f"output folder (default {VOCAB})")
    args = parser.parse_args()
    version = json.loads((args.package / "package.json").read_text(encoding="utf-8"))["version"]
    n_provinces, n_regencies = build(args.package, args.out)
    print(f"idn-area-data {version}: wrote {n_provinces} provinces, {n_regencies} kabupaten/kota to {args.out}")


if __name__ == "__main__":
    main()
