"""The partner directory (``config/partners.yml``) and matching a case to a partner.

Matching is a transparent score, so staff can see why a partner was suggested: the person's
language (most important: they must be able to talk), the region of the incident, then how many of
the support needs the partner covers. A partner covering region ``uk`` works anywhere, but a local
partner wins a tie.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DEFAULT_PARTNERS_FILE = Path(__file__).resolve().parents[2] / "config" / "partners.yml"

#: Postcode areas → region (enough to route; unknown areas simply give no region).
_POSTCODE_REGIONS: dict[str, tuple[str, ...]] = {
    "london": (
        "E",
        "EC",
        "N",
        "NW",
        "SE",
        "SW",
        "W",
        "WC",
        "BR",
        "CR",
        "DA",
        "EN",
        "HA",
        "IG",
        "KT",
        "RM",
        "SM",
        "TW",
        "UB",
    ),
    "south_east": ("BN", "CT", "GU", "ME", "MK", "OX", "PO", "RG", "RH", "SL", "SO", "TN", "HP"),
    "south_west": ("BA", "BH", "BS", "DT", "EX", "GL", "PL", "SN", "SP", "TA", "TQ", "TR"),
    "east": ("AL", "CB", "CM", "CO", "IP", "LU", "NR", "PE", "SG", "SS", "WD"),
    "east_midlands": ("DE", "DN", "LE", "LN", "NG", "NN"),
    "west_midlands": ("B", "CV", "DY", "HR", "ST", "TF", "WR", "WS", "WV"),
    "north_west": (
        "BB",
        "BL",
        "CA",
        "CH",
        "CW",
        "FY",
        "L",
        "LA",
        "M",
        "OL",
        "PR",
        "SK",
        "WA",
        "WN",
    ),
    "north_east": ("DH", "DL", "NE", "SR", "TS"),
    "yorkshire": ("BD", "HD", "HG", "HU", "HX", "LS", "S", "WF", "YO"),
    "wales": ("CF", "LD", "LL", "NP", "SA", "SY"),
    "scotland": (
        "AB",
        "DD",
        "DG",
        "EH",
        "FK",
        "G",
        "HS",
        "IV",
        "KA",
        "KW",
        "KY",
        "ML",
        "PA",
        "PH",
        "TD",
        "ZE",
    ),
    "northern_ireland": ("BT",),
}
_AREA_TO_REGION = {area: region for region, areas in _POSTCODE_REGIONS.items() for area in areas}
_POSTCODE_RE = re.compile(r"\b([A-Z]{1,2})[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}\b")
_OUTWARD_RE = re.compile(r"^([A-Z]{1,2})[0-9][0-9A-Z]?$")


@dataclass(frozen=True)
class Partner:
    """One partner organisation."""

    id: str
    name: str
    languages: tuple[str, ...]
    regions: tuple[str, ...]
    support: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the console."""
        return {
            "id": self.id,
            "name": self.name,
            "languages": list(self.languages),
            "regions": list(self.regions),
            "support": list(self.support),
        }


@dataclass(frozen=True)
class Match:
    """A suggested partner with the reasons it was chosen."""

    partner: Partner
    score: int
    reasons: tuple[str, ...]


def load_partners(path: Path | None = None) -> list[Partner]:
    """Reads the partner directory.

    Raises:
        ValueError: The file is malformed (missing fields, duplicate ids).
    """
    source = path or DEFAULT_PARTNERS_FILE
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    partners: list[Partner] = []
    seen: set[str] = set()
    for entry in data.get("partners") or []:
        try:
            partner = Partner(
                id=str(entry["id"]),
                name=str(entry["name"]),
                languages=tuple(str(x) for x in entry.get("languages") or ()),
                regions=tuple(str(x) for x in entry.get("regions") or ()),
                support=tuple(str(x) for x in entry.get("support") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{source.name}: every partner needs an id and a name") from exc
        if partner.id in seen:
            raise ValueError(f"{source.name}: duplicate partner id {partner.id!r}")
        seen.add(partner.id)
        partners.append(partner)
    return partners


def region_of(location: str | None) -> str | None:
    """The region of a UK postcode (full or outward part) found in ``location``, if any."""
    if not location:
        return None
    text = location.upper().strip()
    found = _POSTCODE_RE.search(text)
    area = found.group(1) if found else None
    if area is None:
        outward = _OUTWARD_RE.match(text.replace(" ", ""))
        area = outward.group(1) if outward else None
    if area is None:
        return None
    return _AREA_TO_REGION.get(area) or _AREA_TO_REGION.get(area[:1])


def match_partner(
    partners: list[Partner], *, language: str, region: str | None, needs: list[str]
) -> Match | None:
    """The best partner for a case, or None when no partner speaks the language.

    Args:
        partners: The directory.
        language: The person's language code.
        region: The incident's region (:func:`region_of`), or None when unknown.
        needs: Support needs the person chose (``no_support`` is ignored).

    Returns:
        The highest-scoring partner; ties go to the first listed.
    """
    wanted = [n for n in needs if n not in ("no_support",)]
    best: Match | None = None
    for partner in partners:
        if language not in partner.languages:
            continue
        score, reasons = 100, ["language"]
        if region and region in partner.regions:
            score += 20
            reasons.append("region")
        elif "uk" in partner.regions:
            score += 10
            reasons.append("national")
        covered = [n for n in wanted if n in partner.support]
        if covered:
            score += 5 * len(covered)
            reasons.append("support:" + ",".join(covered))
        if best is None or score > best.score:
            best = Match(partner, score, tuple(reasons))
    return best
