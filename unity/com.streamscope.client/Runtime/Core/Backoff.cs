using System;

namespace StreamScopeCore
{
    /// <summary>Reconnect delays: exponential (initial * 2^attempt) with +-jitter, capped.</summary>
    public static class Backoff
    {
        /// <summary>The delay before retry number attempt (0-based).</summary>
        /// <param name="attempt">0 for the first retry after a failure.</param>
        /// <param name="initialSeconds">the first delay.</param>
        /// <param name="maxSeconds">the cap.</param>
        /// <param name="jitterFraction">relative jitter (0.2 = +-20 %).</param>
        /// <param name="random01">a uniform random number in [0, 1).</param>
        public static TimeSpan Compute(int attempt, double initialSeconds, double maxSeconds,
            double jitterFraction, double random01)
        {
            if (attempt < 0) attempt = 0;
            if (attempt > 30) attempt = 30;
            double delay = initialSeconds * Math.Pow(2.0, attempt);
            if (delay > maxSeconds) delay = maxSeconds;
            double factor = 1.0 - jitterFraction + 2.0 * jitterFraction * random01;
            delay *= factor;
            if (delay > maxSeconds) delay = maxSeconds;
            if (delay < 0.0) delay = 0.0;
            return TimeSpan.FromSeconds(delay);
        }
    }
}
