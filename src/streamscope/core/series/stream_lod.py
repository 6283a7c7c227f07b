"""A stream's level-of-detail pyramid, kept in step with its ring and sized to what it holds.

Why not one pyramid sized for the ring's capacity: the pyramid's circular tables would then
fill to ~14 bytes per sample of *capacity* (1M by default) for every stream, whatever the
store's memory budget lets the ring keep. Sized to the ring's allocation instead, the pyramid
follows the ring: rebuilt (one vectorised pass over the stored samples) when the ring has grown
past it or shrunk well below it, both geometric steps, so the cost stays amortised O(1) per
sample. The pyramid is keyed by absolute sample index, so compaction and ``drop_oldest`` need no
work at all; a rebuild happens only on reallocation.
"""

from __future__ import annotations

from streamscope.core.series.lod import MinMaxPyramid
from streamscope.core.series.ringbuffer import MIN_ALLOC, RingBuffer

# Base blocks of 2**5 samples: ~8 bytes of tables per sample (2**4 took ~17, beside the ring's
# 16-20) for ~0.2 ms more per 1200-column query of a 1.25M-sample stream.
BASE_LEVEL = 5
SHRINK_BELOW = 4  # a pyramid sized for more than 4x the ring's allocation is rebuilt smaller
LAZY_SAMPLES = 4096  # after an append, fold new samples in once this many have arrived


class StreamLod:
    """Owns one ring's :class:`MinMaxPyramid`; call :meth:`sync` after the ring changed."""

    def __init__(self, base_level: int = BASE_LEVEL, raw_factor: float = 4.0) -> None:
        self.base_level = base_level
        self.raw_factor = raw_factor
        self.pyramid: MinMaxPyramid | None = None
        self.rebuilds = 0  # how often the tables were resized (tests, diagnostics)

    def _size_for(self, rb: RingBuffer) -> int:
        """Samples the ring can hold before it reallocates: the pyramid must cover them."""
        return max(MIN_ALLOC, min(rb.capacity, rb.allocated))

    def sync(self, rb: RingBuffer, *, eager: bool = True) -> MinMaxPyramid:
        """The pyramid, resized if the ring's allocation moved, with new samples folded in.

        ``eager=False`` (after an append) folds samples in only once ``LAZY_SAMPLES`` have
        arrived: an update costs ~0.3 ms of fixed numpy overhead whatever its size, so a flood
        of small messages pays it once per 4096 samples (~80 ns each), not once per message.
        A query (``eager=True``) always catches up with the rest.
        """
        need = self._size_for(rb)
        pyr = self.pyramid
        if pyr is None or need > pyr.capacity or pyr.capacity > SHRINK_BELOW * need:
            pyr = self.pyramid = MinMaxPyramid(need, self.base_level, self.raw_factor)
            self.rebuilds += 1
            pyr.update(rb)
            return pyr
        if eager or rb.total - pyr.total >= LAZY_SAMPLES:
            pyr.update(rb)
        return pyr

    @property
    def nbytes(self) -> int:
        return self.pyramid.nbytes if self.pyramid is not None else 0
