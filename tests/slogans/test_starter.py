from collections import Counter
from pathlib import Path

from service.demo.service import load_starter_slogans

STARTER = Path(__file__).resolve().parents[2] / "slogans" / "starter.yaml"


def test_starter_library_is_valid_and_holds_the_seed_lines() -> None:
    issuer, slogans = load_starter_slogans(STARTER)
    texts = {s.text for s in slogans}
    assert issuer == "宁边路派出所"
    for seed in (
        "宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。",
        "网络汇款需谨慎。",
        "网络贷款需要验证码就是诈骗。",
        "陌生电话不要听，陌生链接不要点，陌生账户不转账。",
        "冒充公检法要求转账的都是诈骗。",
        "网恋交友谈钱的都是骗子。",
        "请下载安装国家反诈中心APP。",
    ):
        assert seed in texts
    assert all(s.category for s in slogans)
    assert len(texts) == len(slogans)
    assert Counter(s.language for s in slogans).keys() == {"zh-CN", "ug", "kk"}
