import numpy as np
import pytest

from streamscope.core.series.ringbuffer import RingBuffer


def test_append_and_read_in_order():
    rb = RingBuffer(10)
    rb.append(np.arange(3.0), np.arange(3.0) * 2)
    rb.append(np.array([3.0]), np.array([6.0]))
    assert rb.t.tolist() == [0, 1, 2, 3]
    assert rb.v.tolist() == [0, 2, 4, 6]
    assert rb.dropped == 0 and rb.total == 4 and rb.last_t == 3.0


def test_drops_oldest_and_counts_across_many_compactions():
    rng = np.random.default_rng(1)
    rb = RingBuffer(5000)
    sent = 0
    for _ in range(300):
        n = int(rng.integers(1, 700))
        t = np.arange(sent, sent + n, dtype=float)
        rb.append(t, -t)
        sent += n
        kept = min(sent, 5000)
        assert len(rb) == kept
        assert rb.t[0] == sent - kept and rb.t[-1] == sent - 1
        assert np.array_equal(rb.v, -rb.t)
        assert rb.dropped == sent - kept
        assert rb.first_index == sent - kept


def test_append_larger_than_capacity_keeps_newest():
    rb = RingBuffer(4)
    rb.append(np.arange(3.0), np.zeros(3))
    dropped = rb.append(np.arange(10.0, 20.0), np.ones(10))
    assert rb.t.tolist() == [16, 17, 18, 19]
    assert dropped == 9 and rb.dropped == 9


def test_range_indices():
    rb = RingBuffer(100)
    rb.append(np.arange(10.0), np.zeros(10))
    assert rb.range_indices(2.5, 5.0) == (3, 6)


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        RingBuffer(0)
