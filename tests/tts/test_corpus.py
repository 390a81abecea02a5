import re
from pathlib import Path

import pytest
import yaml

from service.tts.espeak import phonemes
from service.tts.normalize import normalize_text

CORPUS = yaml.safe_load((Path(__file__).parent / "corpus.yaml").read_text(encoding="utf-8"))
_LATIN = re.compile("[A-Za-z]")
# Letters of Arabic-script Kazakh that the Uyghur voice spells out by name.
_KAZAKH_ONLY = re.compile("[عٵٶٷٸٴ]")


def _compact(phonemes: str) -> str:
    """eSpeak's mnemonics without stress marks, pauses and word breaks, which move with the context."""
    return re.sub(r"_[|:!]?|['\s,]", "", phonemes)


def test_the_corpus_is_large_and_covers_every_language():
    assert len(CORPUS) >= 60
    assert {line.get("language", "zh-CN") for line in CORPUS} == {"zh-CN", "ug", "kk"}


@pytest.mark.parametrize("line", CORPUS, ids=[f"{n:02d}" for n in range(len(CORPUS))])
def test_each_line_is_read_as_a_listener_expects(line):
    language = line.get("language", "zh-CN")
    spoken = normalize_text(line["text"], language)
    assert spoken == line["spoken"]

    said = _compact(phonemes(spoken, language))
    for fragment in line["phonemes"]:
        assert fragment in said, f"{fragment!r} not in {said!r}"
    for fragment in line.get("not", []):
        assert fragment not in said, f"{fragment!r} in {said!r}"
    if language == "zh-CN":
        # Every digit and symbol is put into words; only Latin letters meant to be spelled are English.
        assert not re.search(r"[0-9~/+%:]", spoken)
        if not _LATIN.search(spoken):
            assert "(en)" not in said
    else:
        assert "(en)" not in said
        assert not _KAZAKH_ONLY.search(spoken)
