using System.Threading;

namespace StreamScopeCore
{
    /// <summary>
    /// A bounded queue that drops the OLDEST sample when full and counts every drop. It is one
    /// preallocated ring behind a lock: producers (the game's main thread, or any thread) never
    /// allocate and never wait for the network, only for the few instructions another thread
    /// spends inside the lock. Invariant: accepted == dequeued + dropped + Count.
    /// </summary>
    public sealed class SampleQueue
    {
        readonly object _gate = new object();
        readonly Sample[] _ring;
        int _head;
        int _count;
        long _dropped;
        long _accepted;

        /// <summary>Allocates the ring once; capacity below 1 is taken as 1.</summary>
        public SampleQueue(int capacity)
        {
            _ring = new Sample[capacity < 1 ? 1 : capacity];
        }

        /// <summary>Most samples held at once.</summary>
        public int Capacity { get { return _ring.Length; } }

        /// <summary>Samples waiting.</summary>
        public int Count { get { return Volatile.Read(ref _count); } }

        /// <summary>Samples removed because the queue was full (oldest first).</summary>
        public long Dropped { get { return Interlocked.Read(ref _dropped); } }

        /// <summary>Samples ever put into the queue.</summary>
        public long Accepted { get { return Interlocked.Read(ref _accepted); } }

        /// <summary>Appends a sample, dropping the oldest one when full. Never allocates.</summary>
        public void Enqueue(Sample sample)
        {
            lock (_gate)
            {
                int capacity = _ring.Length;
                if (_count == capacity)
                {
                    _ring[_head] = default(Sample);
                    _head = _head + 1 == capacity ? 0 : _head + 1;
                    _count--;
                    _dropped++;
                }
                int tail = _head + _count;
                if (tail >= capacity) tail -= capacity;
                _ring[tail] = sample;
                _count++;
                _accepted++;
            }
        }

        /// <summary>Removes the oldest sample; false when empty.</summary>
        public bool TryDequeue(out Sample sample)
        {
            lock (_gate)
            {
                if (_count == 0)
                {
                    sample = default(Sample);
                    return false;
                }
                sample = _ring[_head];
                _ring[_head] = default(Sample);
                _head = _head + 1 == _ring.Length ? 0 : _head + 1;
                _count--;
                return true;
            }
        }
    }
}
