"""Loudness to the streaming standard (ITU-R BS.1770-4 / EBU R128), measured per stem.

Each stem keeps its K-weighted energy in 100 ms sub-blocks and its true peak (4x oversampled);
a gating block is 400 ms with 75 % overlap, i.e. four consecutive sub-blocks, and gating is over
the whole programme, so the film's integrated loudness is computed from its stems' sub-blocks in
playing order: an edit measures one stem again, never the film. The levelling gain is one number
for the film; it rides in each stem's AAC encode (with a true-peak limiter on the stems it would
lift over the ceiling).
"""

import math

import numpy as np
from scipy import signal

RATE = 48000
SUB_BLOCK = RATE // 10  # 100 ms: a gating block is four of them
# The K-weighting of BS.1770 at 48 kHz: a high shelf (the head's effect), then the RLB high-pass.
K_WEIGHTING = np.array(
    [
        [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
)
ABSOLUTE_GATE = -70.0  # LUFS; at or below it there is nothing to level (a film without sound)
RELATIVE_GATE = 10.0  # LU under the loudness of the blocks above the absolute gate
NEAR_SILENT = -40.0  # LUFS: a narrated mix this quiet has a voice that can hardly be heard
TRUE_PEAK = -2.0  # dBTP ceiling: the AAC encode after it can add a few tenths
LIMITER_MARGIN = 0.5  # dB under the ceiling for the limiter, whose own overshoot is small
GAIN_STEP = 0.25  # dB: levelling gains are on this grid ...
GAIN_TOLERANCE = 0.5  # LU: ... and any within R128's tolerance of the exact one will do (see `gains`)


def measure(samples: np.ndarray) -> dict:
    """A stem's levels, kept beside it as JSON: its length, the K-weighted energy (summed over its
    channels) of each 100 ms sub-block (the last may be shorter), and its true peak (dBTP)."""
    count = len(samples)
    if count == 0:
        return {"samples": 0, "energy": [], "peak": -math.inf}
    weighted = signal.sosfilt(K_WEIGHTING, samples.astype(np.float64), axis=0)
    energy = np.add.reduceat((weighted**2).sum(axis=1), np.arange(0, count, SUB_BLOCK))
    return {"samples": count, "energy": energy.tolist(), "peak": true_peak(samples)}


def true_peak(samples: np.ndarray) -> float:
    """The highest sample of the signal at four times its rate (BS.1770 Annex 2), in dBTP."""
    oversampled = signal.resample_poly(samples.astype(np.float32), 4, 1, axis=0)
    peak = float(np.abs(oversampled).max(initial=0.0))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def programme(parts: list[tuple[dict, int]]) -> tuple[float, float]:
    """Integrated loudness (LUFS, -inf for silence) and true peak (dBTP) of stems played in order,
    each followed by `gap` samples of silence: `parts` is [(levels, gap)]."""
    sums, counts, peak = [], [], -math.inf
    for levels, gap in parts:
        energy, length = levels["energy"], levels["samples"]
        sums += energy
        counts += [SUB_BLOCK] * (len(energy) - 1) + [length - SUB_BLOCK * (len(energy) - 1)] if energy else []
        whole, rest = divmod(gap, SUB_BLOCK)
        sums += [0.0] * (whole + bool(rest))
        counts += [SUB_BLOCK] * whole + ([rest] if rest else [])
        peak = max(peak, levels["peak"])
    if len(sums) < 4:
        return -math.inf, peak
    window = np.ones(4)
    mean_square = np.convolve(sums, window, "valid") / np.convolve(counts, window, "valid")
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(mean_square)
    above = mean_square[loudness > ABSOLUTE_GATE]
    if not len(above):
        return -math.inf, peak
    relative = -0.691 + 10 * math.log10(above.mean()) - RELATIVE_GATE
    gated = mean_square[(loudness > ABSOLUTE_GATE) & (loudness > relative)]
    return -0.691 + 10 * math.log10(gated.mean()), peak


def gains(integrated: float, target: float) -> list[float]:
    """The levelling gains that bring `integrated` to `target` within GAIN_TOLERANCE, on the
    GAIN_STEP grid, nearest first; [0.0] for silence (nothing to level). A re-render uses one it
    already has stems encoded at, so an edit that moves the film's loudness by a tenth of a LU
    does not encode every stem again."""
    if integrated <= ABSOLUTE_GATE:
        return [0.0]
    exact = target - integrated
    steps = range(math.ceil((exact - GAIN_TOLERANCE) / GAIN_STEP), math.floor((exact + GAIN_TOLERANCE) / GAIN_STEP) + 1)
    return sorted((round(step * GAIN_STEP, 2) for step in steps), key=lambda gain: abs(gain - exact))


def gain_filter(gain: float, peak: float) -> str | None:
    """The audio filter that applies `gain` dB to a stem whose true peak is `peak` dBTP, with a
    limiter (run at 4x the rate, its look-ahead compensated so the stem keeps its samples' places)
    where the gain would lift the peak over the ceiling; None when there is nothing to do."""
    chain = f"volume={gain:.2f}dB" if gain else ""
    if peak + gain > TRUE_PEAK:
        limit = 10 ** ((TRUE_PEAK - LIMITER_MARGIN) / 20)
        limiter = f"aresample={4 * RATE},alimiter=limit={limit:.4f}:attack=1:release=50:level=false:latency=1"
        chain = ",".join(filter(None, [chain, limiter, f"aresample={RATE}"]))
    return chain or None
