"""The ffmpeg binary bundled in the imageio-ffmpeg wheel. It comes without ffprobe, so pydub must be told
the codec when decoding compressed audio."""

import imageio_ffmpeg
from pydub import AudioSegment

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
AudioSegment.converter = FFMPEG
