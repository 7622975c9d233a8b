"""Development messages for tuning cue lists and thresholds (NOT the held-out eval set).

Kept apart from tests/data/language_eval/ so the accuracy reported there stays honest.
"""

from __future__ import annotations

DEV_CASES: list[tuple[str, str]] = [
    ("en", "a guy yelled at us"),
    ("en", "it was on the overground"),
    ("en", "cannot lah so scary"),
    ("zh-Hans", "在公园里"),
    ("zh-Hans", "他们一直跟着我"),
    ("zh-Hant", "喺公園度"),
    ("zh-Hant", "佢哋一直跟住我"),
    ("zh-Hant", "他們一直跟著我"),
    ("vi", "ở công viên"),
    ("vi", "ho theo toi ve nha"),
    ("vi", "toi khong muon bao canh sat"),
    ("ko", "공원에서"),
    ("ja", "公園で"),
    ("th", "ที่สวนสาธารณะ"),
    ("tl", "nasa tren ako"),
    ("tl", "sinundan nila kami"),
    ("tl", "sa may park po"),
    ("ms", "kat taman"),
    ("ms", "diorang ikut saya balik"),
    ("ms", "naik tren semalam"),
    ("id", "di halte bus"),
    ("id", "mereka ngikutin saya pulang"),
    ("id", "naik kereta kemarin"),
    ("my", "ပန်းခြံမှာ"),
    ("km", "នៅសួនច្បារ"),
]
