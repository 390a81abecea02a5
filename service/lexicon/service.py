from sqlmodel import Session, delete, select

from service.lexicon.models import Lexicon, LexiconEntry, LexiconEntryIn


def load_lexicon(*, session: Session) -> dict[str, str]:
    return {entry.word: entry.spoken for entry in session.exec(select(LexiconEntry))}


def get_lexicon(*, session: Session) -> Lexicon:
    entries = session.exec(select(LexiconEntry).order_by(LexiconEntry.word))
    return Lexicon(entries=[LexiconEntryIn(word=e.word, spoken=e.spoken) for e in entries])


def replace_lexicon(*, session: Session, lexicon: Lexicon) -> Lexicon:
    """The whole lexicon at once, in one transaction. It applies to syntheses from now on; clips already
    made are not remade (their cache keys hold the normalized text, so a new synthesis follows it)."""
    session.exec(delete(LexiconEntry))
    for entry in lexicon.entries:
        session.add(LexiconEntry(word=entry.word, spoken=entry.spoken))
    session.commit()
    return get_lexicon(session=session)
