from fastapi import APIRouter, Request

from service.auth.deps import PoliceKey
from service.clips.models import clip_url
from service.deps import SessionDep
from service.errors import Invalid, ServiceError
from service.lexicon.service import load_lexicon
from service.preview.models import PreviewIn, PreviewPublic
from service.tts.base import TTSError

router = APIRouter()


@router.post("", response_model=PreviewPublic)
def preview(preview_in: PreviewIn, session: SessionDep, _key: PoliceKey, request: Request) -> PreviewPublic:
    """Speak unsaved text as a clip, so police hear it before submitting. Answers with the clip's URL under
    /v1/audio (content-addressed, cached: the same text again is not synthesized again)."""
    lexicon = load_lexicon(session=session)
    try:
        result = request.app.state.synthesizer.make_one(
            text=preview_in.text,
            language=preview_in.language,
            event=preview_in.event,
            profile=preview_in.profile,
            lexicon=lexicon,
        )
    except TTSError as exc:
        raise ServiceError(f"speech synthesis failed: {exc}", status_code=503) from exc
    if isinstance(result, str):
        raise Invalid(result)
    return PreviewPublic(url=clip_url(result.sha256, result.format), **result.__dict__)
