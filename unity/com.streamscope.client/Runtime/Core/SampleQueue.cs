using System.Collections.Concurrent;
using System.Threading;

namespace StreamScopeCore
{
    /// <summary>
    /// A bounded, lock-free multi-producer queue that drops the OLDEST sample when full and
    /// counts every drop. Producers never wait: Enqueue is a ConcurrentQueue append plus a few
    /// interlocked counters. Invariant: accepted == dequeued + dropped + Count.
    /// </summary>
    public sealed class SampleQueue
    {
        readonly ConcurrentQueue<Sample> _queue = new ConcurrentQueue<Sample>();
        readonly int _capacity;
        int _count;
        long _dropped;
        long _accepted;

        public SampleQueue(int capacity)
        {
            _capacity = capacity < 1 ? 1 : capacity;
        }

        public int Capacity { get { return _capacity; } }

        /// <summary>Samples waiting (may briefly overshoot Capacity by the number of racing producers).</summary>
        public int Count { get { int c = Volatile.Read(ref _count); return c < 0 ? 0 : c; } }

        /// <summary>Samples removed because the queue was full (oldest first).</summary>
        public long Dropped { get { return Interlocked.Read(ref _dropped); } }

        /// <summary>Samples ever put into the queue.</summary>
        public long Accepted { get { return Interlocked.Read(ref _accepted); } }

        public void Enqueue(Sample sample)
        {
            _queue.Enqueue(sample);
            Interlocked.Increment(ref _accepted);
            if (Interlocked.Increment(ref _count) > _capacity)
            {
                Sample oldest;
                if (_queue.TryDequeue(out oldest))
                {
                    Interlocked.Decrement(ref _count);
                    Interlocked.Increment(ref _dropped);
                }
            }
        }

        public bool TryDequeue(out Sample sample)
        {
            if (_queue.TryDequeue(out sample))
            {
                Interlocked.Decrement(ref _count);
                return true;
            }
            return false;
        }
    }
}
