"""Short plain-text labels (names, kinds, categories): what people type, without the traps."""

import re
import unicodedata

_MARKUP = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


def invisible_character(text: str, *, allow_joiners: bool = False) -> str | None:
    """The first control, invisible or bidirectional-override character, if any. Zero-width (non-)joiners
    are part of correct Arabic-script text, so some callers allow them."""
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or (
            category == "Cf" and not (allow_joiners and char in "\u200c\u200d")
        ):
            return char
    return None


def clean_label(value: str, *, max_length: int = 200) -> str:
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > max_length:
        raise ValueError(f"at most {max_length} characters")
    if (char := invisible_character(text)) is not None:
        raise ValueError(f"contains an invisible or control character (U+{ord(char):04X})")
    if _MARKUP.search(text):
        raise ValueError("must be plain text, without markup")
    return text
