namespace StreamScopeCore
{
    /// <summary>One queued value of one stream. Times are seconds supplied by the caller.</summary>
    public struct Sample
    {
        public readonly string Stream;
        public readonly double Time;
        public readonly double Value;

        public Sample(string stream, double time, double value)
        {
            Stream = stream;
            Time = time;
            Value = value;
        }
    }
}
