using System;
using System.Collections.Concurrent;
using System.Threading;

namespace StreamScopeCore
{
    /// <summary>Fixed-size ring of the most recent (time, value) pairs of one metric.</summary>
    public sealed class MetricRing
    {
        readonly object _gate = new object();
        readonly double[] _t;
        readonly double[] _v;
        int _start;
        int _count;

        public MetricRing(int capacity)
        {
            if (capacity < 1) capacity = 1;
            _t = new double[capacity];
            _v = new double[capacity];
        }

        public int Capacity { get { return _t.Length; } }

        public int Count
        {
            get { lock (_gate) return _count; }
        }

        public void Add(double t, double v)
        {
            lock (_gate)
            {
                int index;
                if (_count < _t.Length)
                {
                    index = (_start + _count) % _t.Length;
                    _count++;
                }
                else
                {
                    index = _start;
                    _start = (_start + 1) % _t.Length;
                }
                _t[index] = t;
                _v[index] = v;
            }
        }

        /// <summary>Copies the stored pairs, oldest first.</summary>
        public void Snapshot(out double[] times, out double[] values)
        {
            lock (_gate)
            {
                times = new double[_count];
                values = new double[_count];
                for (int i = 0; i < _count; i++)
                {
                    int index = (_start + i) % _t.Length;
                    times[i] = _t[index];
                    values[i] = _v[index];
                }
            }
        }
    }

    /// <summary>Recent values per metric, for answering the app's request_historical_data.</summary>
    public sealed class MetricHistory
    {
        readonly ConcurrentDictionary<string, MetricRing> _rings =
            new ConcurrentDictionary<string, MetricRing>(StringComparer.Ordinal);
        readonly int _capacityPerMetric;
        readonly int _maxMetrics;
        int _metricCount;

        public MetricHistory(int capacityPerMetric, int maxMetrics)
        {
            _capacityPerMetric = capacityPerMetric;
            _maxMetrics = maxMetrics;
        }

        public bool Enabled { get { return _capacityPerMetric > 0; } }

        public void Record(string metric, double t, double v)
        {
            if (_capacityPerMetric <= 0) return;
            MetricRing ring;
            if (!_rings.TryGetValue(metric, out ring))
            {
                if (Volatile.Read(ref _metricCount) >= _maxMetrics) return;
                ring = new MetricRing(_capacityPerMetric);
                if (_rings.TryAdd(metric, ring)) Interlocked.Increment(ref _metricCount);
                else if (!_rings.TryGetValue(metric, out ring)) return;
            }
            ring.Add(t, v);
        }

        /// <summary>The recent values of one metric (empty arrays when unknown).</summary>
        public void Snapshot(string metric, out double[] times, out double[] values)
        {
            MetricRing ring;
            if (metric != null && _rings.TryGetValue(metric, out ring))
            {
                ring.Snapshot(out times, out values);
                return;
            }
            times = new double[0];
            values = new double[0];
        }
    }
}
