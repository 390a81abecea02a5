"""65 demo parking zones around Jimusar county seat (吉木萨尔县, about 44.0°N 89.18°E)."""

import math
import random
from typing import Any

CENTER_LAT, CENTER_LON = 44.000, 89.180
METERS_PER_DEGREE = 111_320.0

RESIDENTIAL = [
    f"{n}小区"
    for n in [
        "北庭",
        "文化",
        "幸福",
        "团结",
        "和平",
        "建设",
        "博格达",
        "天山",
        "阳光",
        "金桥",
        "书香",
        "丽景",
        "康居",
        "润园",
        "新城",
        "滨河",
        "花园",
        "怡和",
        "泰和",
        "安居",
        "景苑",
        "华府",
        "锦绣",
        "东城",
    ]
]
COMMERCIAL = [
    "北庭商业街",
    "人民广场",
    "步行街",
    "农贸市场",
    "百货大楼",
    "中心商场",
    "文化广场",
    "美食街",
    "建材市场",
    "物流园",
    "夜市",
    "商贸城",
    "汽配城",
    "便民市场",
]
STATION = [
    "吉木萨尔汽车站",
    "吉木萨尔火车站",
    "城北公交枢纽",
    "城南公交站",
    "客运中心",
    "县医院公交站",
    "北庭故城游客站",
]
TOWNS = ["三台镇", "泉子街镇", "北庭镇", "二工镇", "大有镇", "庆阳湖乡", "老台乡", "新地乡"]
VILLAGE = [
    f"{TOWNS[i % len(TOWNS)]}{name}村"
    for i, name in enumerate(
        [
            "东湖",
            "西地",
            "南闸",
            "北沟",
            "红旗",
            "光明",
            "新湖",
            "二畦",
            "柳树",
            "榆树",
            "长山",
            "小分",
            "大龙口",
            "头工",
            "下泉",
            "上湖",
            "沙河",
            "双河",
            "果园",
            "牧场",
        ]
    )
]


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        lat + north_m / METERS_PER_DEGREE,
        lon + east_m / (METERS_PER_DEGREE * math.cos(math.radians(lat))),
    )


def _rectangle(lat: float, lon: float, half_m: float) -> dict[str, Any]:
    south, west = _offset(lat, lon, -half_m, -half_m)
    north, east = _offset(lat, lon, half_m, half_m)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def demo_zones(seed: int = 2026) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: town zones as small squares, villages as points with a radius."""
    rng = random.Random(seed)
    features = []
    groups = [
        ("residential", RESIDENTIAL, 2500, 90),
        ("commercial", COMMERCIAL, 1500, 110),
        ("station", STATION, 3000, 70),
    ]
    for kind, names, spread_m, half_m in groups:
        for index, name in enumerate(names):
            lat, lon = _offset(
                CENTER_LAT, CENTER_LON, rng.uniform(-spread_m, spread_m), rng.uniform(-spread_m, spread_m)
            )
            features.append(_feature(f"{kind[:3]}-{index + 1:02d}", name, kind, _rectangle(lat, lon, half_m)))
    for index, name in enumerate(VILLAGE):
        angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(6000, 25000)
        lat, lon = _offset(CENTER_LAT, CENTER_LON, distance * math.sin(angle), distance * math.cos(angle))
        point = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
        # Every third village prefers the Uyghur slogans of the bilingual campaign.
        extra = {"languages": ["ug"]} if index % 3 == 0 else {}
        features.append(_feature(f"vil-{index + 1:02d}", name, "village", point, radius_m=150, **extra))
    return {"type": "FeatureCollection", "features": features}


def _feature(
    zone_id: str,
    name: str,
    kind: str,
    geometry: dict[str, Any],
    radius_m: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    props: dict[str, Any] = {"id": zone_id, "name": name, "kind": kind, "region": "吉木萨尔县", **extra}
    if radius_m is not None:
        props["radius_m"] = radius_m
    return {"type": "Feature", "properties": props, "geometry": geometry}
