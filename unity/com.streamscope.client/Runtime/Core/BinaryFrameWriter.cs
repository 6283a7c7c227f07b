using System;
using System.Collections.Generic;
using System.Text;

namespace StreamScopeCore
{
    /// <summary>
    /// Writes samples as the protocol's binary frames (PROTOCOL.md: "SSB1", uint16 name length,
    /// UTF-8 name, uint32 N, N times, N values, little-endian float64) into one reused buffer.
    /// Exact by construction (the doubles' own bits, no text), culture-free, and allocation-free
    /// once the buffer has grown to the largest frame. One instance per sending thread.
    /// </summary>
    public sealed class BinaryFrameWriter
    {
        static readonly byte[] Magic = { (byte)'S', (byte)'S', (byte)'B', (byte)'1' };
        byte[] _buffer = new byte[4096];

        /// <summary>The frame written by the last Write, in its first bytes.</summary>
        public byte[] Buffer { get { return _buffer; } }

        /// <summary>
        /// Writes the not-yet-sent samples of the stream of samples[first] (from first on) as one
        /// frame and returns its size in bytes. Infinite values become NaN (a gap): the app
        /// rejects infinities. sent marks samples already sent; nothing is marked here.
        /// </summary>
        public int Write(List<Sample> samples, bool[] sent, int first)
        {
            string stream = samples[first].Stream;
            int n = 0;
            for (int i = first; i < samples.Count; i++)
                if (!sent[i] && SameStream(samples[i].Stream, stream)) n++;
            int nameBytes = Encoding.UTF8.GetByteCount(stream);
            int size = 10 + nameBytes + 16 * n;
            if (_buffer.Length < size) _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
            byte[] b = _buffer;
            System.Buffer.BlockCopy(Magic, 0, b, 0, 4);
            b[4] = (byte)nameBytes;
            b[5] = (byte)(nameBytes >> 8);
            Encoding.UTF8.GetBytes(stream, 0, stream.Length, b, 6);
            int at = 6 + nameBytes;
            b[at] = (byte)n;
            b[at + 1] = (byte)(n >> 8);
            b[at + 2] = (byte)(n >> 16);
            b[at + 3] = (byte)(n >> 24);
            int times = at + 4;
            int values = times + 8 * n;
            for (int i = first; i < samples.Count; i++)
            {
                if (sent[i]) continue;
                Sample s = samples[i];
                if (!SameStream(s.Stream, stream)) continue;
                WriteDouble(b, times, s.Time);
                WriteDouble(b, values, double.IsInfinity(s.Value) ? double.NaN : s.Value);
                times += 8;
                values += 8;
            }
            return size;
        }

        /// <summary>Marks the samples the last Write(samples, sent, first) covered as sent; returns how many.</summary>
        public static int MarkSent(List<Sample> samples, bool[] sent, int first)
        {
            string stream = samples[first].Stream;
            int n = 0;
            for (int i = first; i < samples.Count; i++)
            {
                if (sent[i] || !SameStream(samples[i].Stream, stream)) continue;
                sent[i] = true;
                n++;
            }
            return n;
        }

        static bool SameStream(string a, string b)
        {
            return ReferenceEquals(a, b) || string.Equals(a, b, StringComparison.Ordinal);
        }

        static void WriteDouble(byte[] b, int at, double value)
        {
            ulong bits = (ulong)BitConverter.DoubleToInt64Bits(value);
            for (int k = 0; k < 8; k++)
            {
                b[at + k] = (byte)bits;
                bits >>= 8;
            }
        }
    }
}
