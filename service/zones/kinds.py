"""The zone kinds as people read them, in Chinese: the one table the console and the dashboard show. A
kind is free text (an import may bring any); one not listed here is shown as it is."""

KIND_NAMES = {
    "residential": "小区",
    "commercial": "商圈",
    "station": "车站",
    "village": "村庄",
    "scenic": "景区",
    "parking": "停车点",
}


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)
