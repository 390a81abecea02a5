import warnings

# pydub looks for ffmpeg on PATH when imported, in every process that imports it (uvicorn's workers too);
# service.audio.ffmpeg points it at the imageio-ffmpeg wheel's binary.
warnings.filterwarnings("ignore", "Couldn't find ff", RuntimeWarning)
