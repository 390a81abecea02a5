"""Error messages for people, in Chinese: the API's messages (English, for programmers) translated where a
form shows them. Unknown ones get a general Chinese sentence, never the English text or a traceback."""

import re

from pydantic import ValidationError

# (pattern in the API's message, Chinese text; {0}, {1} are the pattern's groups)
_TRANSLATIONS: list[tuple[str, str]] = [
    (r"text is empty|must not be empty|Field required|String should have at least 1", "此项必填"),
    (r"text is (\d+) characters long; at most (\d+)", "共 {0} 个字符，超过 {1} 字的上限，请精简"),
    (r"at most (\d+) characters|String should have at most (\d+)", "内容太长"),
    (r"markup", "不能包含 HTML 或 SSML 等标记"),
    (r"invisible or control character", "包含不可见字符或控制字符，请删除后重试"),
    (r"nothing to speak", "需要包含文字，不能只有标点"),
    (r"zero-width joiners", "零宽连接符只能用于阿拉伯字母书写的文字"),
    (r"a character a lock cannot speak: '(.+)'", "包含车锁无法朗读的字符：{0}"),
    (
        r"writing systems",
        "文字与所选语言不符（中文用汉字，维吾尔语用阿拉伯字母，哈萨克语用西里尔或阿拉伯字母）",
    ),
    (r"language must be one of", "请选择语言"),
    (r"valid_until must be after valid_from|ends_at must be after starts_at", "结束时间必须晚于开始时间"),
    (r"time out of range", "请填写 2000 至 2099 年之间的时间"),
    (r"Input should be a valid datetime|invalid datetime", "时间格式不正确，请按 2026-12-01 08:00 填写"),
    (r"ends_at is in the past", "结束时间已过，此投放将不会播放"),
    (r"needs at least one slogan", "请至少选择一条标语"),
    (r"unknown slogans", "所选标语不存在"),
    (r"unknown zones", "所选区域不存在"),
    (r"unknown fleets", "所选车队不存在"),
    (r"rejected or withdrawn slogans", "已驳回或已撤回的标语不能投放"),
    (r"no zone has these zone kinds", "没有区域属于所选类型"),
    (r"no zone has these regions", "没有区域属于所选行政区"),
    (r"both targeted and excluded", "同一目标不能既投放又排除"),
    (r"events must name", "请至少选择开锁或还车"),
    (r"weight must be", "权重须大于 0 且不超过 1000"),
    (r"greater than or equal to 1|less than or equal to 1000", "请填写 1 到 1000 之间的整数"),
    (r"daypart", "时段格式不正确，请填写 时:分"),
    (r"HH:MM|time of day", "时间格式不正确，请填写 时:分，如 07:30"),
    (
        r"a slogan must be reviewed by someone other than its author",
        "不能审核自己撰写的标语，请由其他管理员审核",
    ),
    (r"is already (approved|rejected|withdrawn)", "该标语状态已变更，请刷新页面"),
    (r"can no longer be edited", "该标语已不能修改"),
    (r"has already ended", "该投放已经结束"),
    (r"police keys act only on their own", "只能操作本单位的标语"),
    (r"cannot post slogans for", "只能以本单位名义撰写标语"),
    (r"issuer is required|needs an issuer", "请填写所属派出所（发布单位）"),
    (r"already exists", "该编号已存在"),
    (r"must be 1-100 letters|id must be", "编号只能包含字母、数字、点、下划线或连字符"),
    (r"unknown profile|profile", "请选择设备音频格式"),
    (r"volume must be|must be a whole number from 0 to 7", "音量须为 0 到 7 的整数"),
    (r"cannot be cleared", "此项不能为空"),
    (r"expires_at must be in the future", "到期时间必须在将来"),
    (r"the CSV is not UTF-8", "CSV 文件须为 UTF-8 编码"),
    (r"bike_id column", "CSV 第一行须为表头，并包含 bike_id 列"),
    (r"line (\d+): bike_id .* repeats line (\d+)", "第 {0} 行的车辆编号与第 {1} 行重复"),
    (r"line (\d+): bike_id", "第 {0} 行的车辆编号无效（1–100 个字母、数字或 ._:@-）"),
    (r"line (\d+): not valid CSV", "第 {0} 行不是有效的 CSV"),
    (r"the CSV lists no bikes", "CSV 中没有车辆"),
    (r"expected a GeoJSON FeatureCollection", "文件须为 GeoJSON 要素集合（FeatureCollection）"),
    (r"has no features", "文件中没有任何要素"),
    (r"not valid JSON", "文件不是有效的 JSON"),
    (r"speech synthesis failed", "语音合成暂时不可用，请稍后再试"),
    (r"the database is unavailable", "数据库暂时不可用，未作任何更改，请稍后重试"),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), text) for pattern, text in _TRANSLATIONS]

# Per feature or station of an import: the prefix names which one, the rest is translated above or below.
_FEATURE = re.compile(r"^feature (\d+)(?: \(id '?(.*?)'?\))?: (.*)$")
_STATION = re.compile(r"^station (\d+)(?: \(station_id '?(.*?)'?\))?: (.*)$")
_GEOMETRY_HINT = (
    "几何形状或属性无效（须为 Polygon、MultiPolygon，或带 radius_m 的 Point；需有 id、name、kind）"
)


def zh(message: str, fallback: str = "输入无效，请检查后重试") -> str:
    for pattern, text in _COMPILED:
        if match := pattern.search(message):
            return text.format(*(g or "" for g in match.groups()))
    return fallback


def zh_import(message: str) -> str:
    """A zone import's 422, naming its feature (GeoJSON) or station (GBFS) in Chinese."""
    for pattern, label in ((_FEATURE, "要素"), (_STATION, "站点")):
        if match := pattern.match(message):
            index, ident, fault = match.groups()
            named = f"（编号 {ident}）" if ident else ""
            return f"第 {int(index) + 1} 个{label}{named}：{zh(fault, _GEOMETRY_HINT)}"
    return zh(message, "文件内容无效，请检查格式")


def field_errors(exc: ValidationError, fields: set[str], general: str = "_form") -> dict[str, str]:
    """Field name -> its Chinese message; errors of the whole model go under `general`."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        named = [str(part) for part in error.get("loc", ()) if str(part) in fields]
        message = str(error.get("msg", ""))
        field = named[0] if named else service_field(message, fields, general)
        errors.setdefault(field, zh(message))
    return errors


# Which field a service error is about, by the words of its message: shown next to that field.
_SERVICE_FIELDS = [
    (r"slogan", "slogan_ids"),
    (r"zone kinds|zone_kinds", "zone_kinds"),
    (r"regions", "regions"),
    (r"unknown zones|zone_ids", "zone_ids"),
    (r"fleet", "fleet_ids"),
    (r"ends_at", "ends_at"),
    (r"valid_until", "valid_until"),
    (r"issuer", "issuer"),
    (r"text", "text"),
]


def service_field(message: str, fields: set[str], general: str = "_form") -> str:
    for pattern, field in _SERVICE_FIELDS:
        if field in fields and re.search(pattern, message, re.IGNORECASE):
            return field
    return general
