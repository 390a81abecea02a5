# ebike-voice: the API on uvicorn, eSpeak NG and ffmpeg from their wheels, data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EBIKE_VOICE_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY service ./service
COPY slogans ./slogans
COPY audio ./audio
RUN pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 --home-dir /data ebike \
    && mkdir -p /data && chown ebike /data

USER ebike
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["ebike-voice", "serve", "--host", "0.0.0.0", "--port", "8000"]
