"""Loudness per ITU-R BS.1770 / EBU R128 (K-weighted, gated integrated loudness) in numpy, and a
peak limiter, so every clip plays at one loudness without clipping.

Why not pyloudnorm: it brings scipy (~215 MB with numpy) only for `lfilter`; numpy (already here through
shapely) applies the two K-weighting biquads as their frequency response on an FFT of the clip, which for a
clip padded by the filters' decay equals running the filters, in a few milliseconds. Why not ffmpeg's
loudnorm: ~240 ms a clip, beyond the budget of a synthesis."""

import functools
import math

import numpy as np

_BLOCK_S = 0.4
_STEP_S = 0.1  # 75 % overlap
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
# The K-filter's tail is well under this: padding by it keeps the FFT's circular wrap-around inaudible.
_PAD_S = 0.25
_LIMITER_BLOCK_S = 0.01


def _biquad(kind: str, gain_db: float, q: float, fc: float, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The BS.1770 K-weighting stages, designed for any sample rate (as pyloudnorm does)."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha = math.sin(w0) / (2 * q)
    cos = math.cos(w0)
    if kind == "high_shelf":
        b = [
            a * ((a + 1) + (a - 1) * cos + 2 * math.sqrt(a) * alpha),
            -2 * a * ((a - 1) + (a + 1) * cos),
            a * ((a + 1) + (a - 1) * cos - 2 * math.sqrt(a) * alpha),
        ]
        den = [
            (a + 1) - (a - 1) * cos + 2 * math.sqrt(a) * alpha,
            2 * ((a - 1) - (a + 1) * cos),
            (a + 1) - (a - 1) * cos - 2 * math.sqrt(a) * alpha,
        ]
    else:  # high pass
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        den = [1 + alpha, -2 * cos, 1 - alpha]
    return np.array(b), np.array(den)


@functools.lru_cache(maxsize=16)
def _k_response(rate: int, size: int) -> np.ndarray:
    """The K-filter's frequency response at the bins of an rfft of `size` samples."""
    bins = size // 2 + 1
    z = np.exp(-1j * np.pi * np.arange(bins) / (bins - 1))  # e^{-jw} for w in [0, pi]
    response = np.ones(bins, dtype=np.complex128)
    for kind, gain_db, q, fc in (
        ("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0),
        ("high_pass", 0.0, 0.5, 38.0),
    ):
        b, a = _biquad(kind, gain_db, q, fc, rate)
        response *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return response


def _k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    n = len(samples) + int(_PAD_S * rate)
    # Sizes rounded up to a multiple of a quarter second: FFT-friendly, and few responses to cache.
    size = -(-n // (rate // 4)) * (rate // 4)
    spectrum = np.fft.rfft(samples, size) * _k_response(rate, size)
    return np.fft.irfft(spectrum, size)[: len(samples)]


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """LUFS of mono float samples in [-1, 1]; -inf for silence. Clips shorter than one 400 ms block are
    measured ungated (pyloudnorm refuses them)."""
    return _gated_loudness(_k_weighted(samples.astype(np.float64), rate) ** 2, rate)


def _gated_loudness(power: np.ndarray, rate: int) -> float:
    block, step = int(_BLOCK_S * rate), int(_STEP_S * rate)
    if len(power) < block:
        blocks = np.array([power.mean()]) if len(power) else np.array([0.0])
    else:
        cumulative = np.concatenate(([0.0], np.cumsum(power)))
        starts = np.arange(0, len(power) - block + 1, step)
        blocks = (cumulative[starts + block] - cumulative[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(blocks)
    gated = blocks[levels > _ABSOLUTE_GATE_LUFS]
    if not len(gated):
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) + _RELATIVE_GATE_LU
    gated = blocks[(levels > _ABSOLUTE_GATE_LUFS) & (levels > relative)]
    return -0.691 + 10 * math.log10(gated.mean())


def _limiter_gain(samples: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """The gain that turns down the few loudest moments so no sample exceeds `ceiling`: each 10 ms block
    gets the lowest gain it or its neighbours need, interpolated between block centres, so the gain never
    rises above what a peak needs and changes smoothly (no clicks) instead of clipping."""
    block = max(1, int(_LIMITER_BLOCK_S * rate))
    count = -(-len(samples) // block)
    padded = np.zeros(count * block)
    padded[: len(samples)] = np.abs(samples)
    peaks = padded.reshape(count, block).max(axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    spread = need.copy()
    spread[1:] = np.minimum(spread[1:], need[:-1])
    spread[:-1] = np.minimum(spread[:-1], need[1:])
    centres = np.arange(count) * block + block / 2
    gains: np.ndarray = np.interp(np.arange(len(samples)), centres, spread)
    return gains


def normalize_loudness(samples: np.ndarray, rate: int, target_lufs: float, ceiling: float) -> np.ndarray:
    """Bring to `target_lufs` with no sample above `ceiling`. Limiting lowers the loudness a little, so the
    gain is corrected and the peaks limited again until both hold (two or three rounds for speech). The
    limiter's gain moves slowly next to the K-filter, so the K-weighted signal is computed once and scaled
    by the gain rather than filtered again each round."""
    x = samples.astype(np.float64)
    weighted = _k_weighted(x, rate)
    gain = np.ones(len(x))
    for _ in range(4):
        loudness = _gated_loudness((weighted * gain) ** 2, rate)
        if not math.isfinite(loudness):
            break
        error = target_lufs - loudness
        if abs(error) < 0.05 and np.abs(x * gain).max() <= ceiling:
            break
        gain *= 10 ** (error / 20)
        gain *= _limiter_gain(x * gain, rate, ceiling)
    return x * gain
