using System;
using System.Collections.Concurrent;
using System.Threading;

namespace StreamScopeCore
{
    /// <summary>
    /// Ring of the most recent (time, value) pairs of one metric. It starts small and doubles up
    /// to its capacity, so a metric that sends a few values does not cost the full ring; once
    /// full, Add never allocates.
    /// </summary>
    public sealed class MetricRing
    {
        const int InitialSize = 64;
        readonly object _gate = new object();
        readonly int _capacity;
        double[] _t;
        double[] _v;
        int _start;
        int _count;

        /// <summary>A ring keeping at most capacity pairs (at least 1).</summary>
        public MetricRing(int capacity)
        {
            _capacity = capacity < 1 ? 1 : capacity;
            int size = Math.Min(_capacity, InitialSize);
            _t = new double[size];
            _v = new double[size];
        }

        /// <summary>Most pairs kept.</summary>
        public int Capacity { get { return _capacity; } }

        /// <summary>Pairs currently kept.</summary>
        public int Count
        {
            get { lock (_gate) return _count; }
        }

        /// <summary>Appends a pair, overwriting the oldest when full.</summary>
        public void Add(double t, double v)
        {
            lock (_gate)
            {
                if (_count == _t.Length && _t.Length < _capacity) Grow();
                int size = _t.Length;
                int index;
                if (_count < size)
                {
                    index = _start + _count;
                    if (index >= size) index -= size;
                    _count++;
                }
                else
                {
                    index = _start;
                    _start = _start + 1 == size ? 0 : _start + 1;
                }
                _t[index] = t;
                _v[index] = v;
            }
        }

        void Grow()
        {
            int size = Math.Min(_capacity, _t.Length * 2);
            var t = new double[size];
            var v = new double[size];
            for (int i = 0; i < _count; i++)
            {
                int index = (_start + i) % _t.Length;
                t[i] = _t[index];
                v[i] = _v[index];
            }
            _t = t;
            _v = v;
            _start = 0;
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

        /// <summary>capacityPerMetric 0 disables the history; maxMetrics bounds the number of rings.</summary>
        public MetricHistory(int capacityPerMetric, int maxMetrics)
        {
            _capacityPerMetric = capacityPerMetric;
            _maxMetrics = maxMetrics;
        }

        /// <summary>Whether values are kept at all.</summary>
        public bool Enabled { get { return _capacityPerMetric > 0; } }

        /// <summary>Keeps one value (allocates only for a metric's first values).</summary>
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
