namespace StreamScopeCore
{
    /// <summary>One queued value of one stream. Times are seconds supplied by the caller.</summary>
    public struct Sample
    {
        /// <summary>The stream (metric) name.</summary>
        public readonly string Stream;

        /// <summary>Seconds, as given to Enqueue.</summary>
        public readonly double Time;

        /// <summary>The value; NaN is a gap.</summary>
        public readonly double Value;

        /// <summary>Makes a sample.</summary>
        public Sample(string stream, double time, double value)
        {
            Stream = stream;
            Time = time;
            Value = value;
        }
    }
}
