"""Coarse region of a report's location, for statistics: the 12 UK nations and regions (ITL1).

Kept deliberately simple and coarse so a region can never point at a street or a person:

- a postcode (full or outward code) → its postcode *area* (the leading letters: ``LS1 4AP`` → ``LS``)
  → the region most of that area lies in (areas crossing a border, such as ``KT``, ``TW``, ``SY``
  or ``DN``, are counted in one region; the table below is the whole rule);
- a town or city typed in English → the region, for the largest places only (``TOWNS``);
- online → ``online``; anything else (a place we do not know, not given) → ``unknown``.

Guernsey, Jersey and the Isle of Man are ``crown_dependencies``.
"""

from __future__ import annotations

import re

REGIONS = (
    "north_east",
    "north_west",
    "yorkshire_and_the_humber",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "london",
    "south_east",
    "south_west",
    "wales",
    "scotland",
    "northern_ireland",
    "crown_dependencies",
    "online",
    "unknown",
)

_AREAS_BY_REGION = {
    "north_east": "DH DL NE SR TS",
    "north_west": "BB BL CA CH CW FY L LA M OL PR SK WA WN",
    "yorkshire_and_the_humber": "BD DN HD HG HU HX LS S WF YO",
    "east_midlands": "DE LE LN NG NN",
    "west_midlands": "B CV DY HR ST SY TF WR WS WV",
    "east_of_england": "AL CB CM CO IP LU NR PE SG SS WD",
    "london": "BR CR E EC EN HA IG KT N NW RM SE SM SW TW UB W WC",
    "south_east": "BN CT DA GU HP ME MK OX PO RG RH SL SO TN",
    "south_west": "BA BH BS DT EX GL PL SN SP TA TQ TR",
    "wales": "CF LD LL NP SA",
    "scotland": "AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE",
    "northern_ireland": "BT",
    "crown_dependencies": "GY JE IM",
}
POSTCODE_AREAS = {
    area: region for region, areas in _AREAS_BY_REGION.items() for area in areas.split()
}

TOWNS = {
    "london": "london", "croydon": "london",
    "manchester": "north_west", "liverpool": "north_west", "salford": "north_west",
    "preston": "north_west", "bolton": "north_west", "stockport": "north_west",
    "leeds": "yorkshire_and_the_humber", "sheffield": "yorkshire_and_the_humber",
    "bradford": "yorkshire_and_the_humber", "york": "yorkshire_and_the_humber",
    "hull": "yorkshire_and_the_humber",
    "newcastle": "north_east", "newcastle upon tyne": "north_east", "sunderland": "north_east",
    "middlesbrough": "north_east", "durham": "north_east",
    "birmingham": "west_midlands", "coventry": "west_midlands", "wolverhampton": "west_midlands",
    "stoke": "west_midlands", "stoke-on-trent": "west_midlands",
    "nottingham": "east_midlands", "leicester": "east_midlands", "derby": "east_midlands",
    "northampton": "east_midlands", "lincoln": "east_midlands",
    "cambridge": "east_of_england", "norwich": "east_of_england", "ipswich": "east_of_england",
    "peterborough": "east_of_england", "luton": "east_of_england", "colchester": "east_of_england",
    "brighton": "south_east", "oxford": "south_east", "reading": "south_east",
    "southampton": "south_east", "portsmouth": "south_east", "milton keynes": "south_east",
    "canterbury": "south_east", "guildford": "south_east",
    "bristol": "south_west", "bath": "south_west", "plymouth": "south_west",
    "exeter": "south_west", "bournemouth": "south_west",
    "cardiff": "wales", "swansea": "wales", "newport": "wales",
    "glasgow": "scotland", "edinburgh": "scotland", "aberdeen": "scotland", "dundee": "scotland",
    "belfast": "northern_ireland", "derry": "northern_ireland",
}

_AREA_RE = re.compile(r"^([A-Z]{1,2})[0-9]")


def region_of(location: str | None, location_kind: str | None) -> str:
    """Maps a report's location to a coarse region id (see the module docstring).

    Args:
        location: The ``location`` field as stored (postcode upper-cased, or the place as typed).
        location_kind: ``postcode``, ``online``, ``place`` or ``unknown``.

    Returns:
        One of :data:`REGIONS`.
    """
    if location_kind == "online":
        return "online"
    if not location:
        return "unknown"
    text = location.strip()
    if location_kind == "postcode":
        match = _AREA_RE.match(text.upper().replace(" ", ""))
        return POSTCODE_AREAS.get(match.group(1), "unknown") if match else "unknown"
    key = re.sub(r"\s+", " ", text.lower()).strip(" .,")
    return TOWNS.get(key, "unknown")
