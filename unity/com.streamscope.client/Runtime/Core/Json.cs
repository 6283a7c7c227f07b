using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StreamScopeCore
{
    /// <summary>The few JSON writing helpers the protocol needs (culture-independent).</summary>
    public static class JsonWriter
    {
        /// <summary>
        /// Appends a number in InvariantCulture "R" form; NaN and +-Infinity become null (a gap).
        /// Falls back to "G17" for the rare values whose "R" text does not round-trip on .NET Framework/Mono.
        /// </summary>
        public static void AppendNumber(StringBuilder sb, double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                sb.Append("null");
                return;
            }
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            double back;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out back) || back != value)
                text = value.ToString("G17", CultureInfo.InvariantCulture);
            sb.Append(text);
        }

        /// <summary>AppendNumber into a new string (tests and the rare history answer).</summary>
        public static string FormatNumber(double value)
        {
            var sb = new StringBuilder(24);
            AppendNumber(sb, value);
            return sb.ToString();
        }

        /// <summary>Appends a quoted JSON string (null becomes the JSON literal null).</summary>
        public static void AppendString(StringBuilder sb, string value)
        {
            if (value == null)
            {
                sb.Append("null");
                return;
            }
            sb.Append('"');
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029')
                        {
                            sb.Append("\\u");
                            sb.Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            sb.Append('"');
        }
    }

    /// <summary>
    /// A tiny JSON reader for the app's commands. Objects become Dictionary&lt;string, object&gt;,
    /// arrays List&lt;object&gt;, numbers double, plus string, bool and null.
    /// Throws FormatException on malformed input.
    /// </summary>
    public sealed class JsonReader
    {
        const int MaxDepth = 64;
        readonly string _text;
        int _pos;

        JsonReader(string text)
        {
            _text = text;
        }

        /// <summary>Parses one JSON document; throws FormatException when malformed.</summary>
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var reader = new JsonReader(text);
            reader.SkipWhitespace();
            object value = reader.ReadValue(0);
            reader.SkipWhitespace();
            if (reader._pos != text.Length) throw reader.Error("trailing characters");
            return value;
        }

        /// <summary>Parses text and returns it as an object, or null when it is not a JSON object.</summary>
        public static Dictionary<string, object> ParseObject(string text)
        {
            return Parse(text) as Dictionary<string, object>;
        }

        FormatException Error(string what)
        {
            return new FormatException("JSON: " + what + " at offset " + _pos.ToString(CultureInfo.InvariantCulture));
        }

        void SkipWhitespace()
        {
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _pos++;
                else break;
            }
        }

        object ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error("nested too deeply");
            if (_pos >= _text.Length) throw Error("unexpected end");
            char c = _text[_pos];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"': return ReadString();
                case 't': ExpectWord("true"); return true;
                case 'f': ExpectWord("false"); return false;
                case 'n': ExpectWord("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                    throw Error("unexpected character '" + c + "'");
            }
        }

        void ExpectWord(string word)
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) throw Error("expected " + word);
            _pos += word.Length;
        }

        Dictionary<string, object> ReadObject(int depth)
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            _pos++; // {
            SkipWhitespace();
            if (_pos < _text.Length && _text[_pos] == '}')
            {
                _pos++;
                return result;
            }
            while (true)
            {
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != '"') throw Error("expected a property name");
                string key = ReadString();
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != ':') throw Error("expected ':'");
                _pos++;
                SkipWhitespace();
                result[key] = ReadValue(depth + 1);
                SkipWhitespace();
                if (_pos >= _text.Length) throw Error("unterminated object");
                char c = _text[_pos++];
                if (c == '}') return result;
                if (c != ',') throw Error("expected ',' or '}'");
            }
        }

        List<object> ReadArray(int depth)
        {
            var result = new List<object>();
            _pos++; // [
            SkipWhitespace();
            if (_pos < _text.Length && _text[_pos] == ']')
            {
                _pos++;
                return result;
            }
            while (true)
            {
                SkipWhitespace();
                result.Add(ReadValue(depth + 1));
                SkipWhitespace();
                if (_pos >= _text.Length) throw Error("unterminated array");
                char c = _text[_pos++];
                if (c == ']') return result;
                if (c != ',') throw Error("expected ',' or ']'");
            }
        }

        string ReadString()
        {
            _pos++; // opening quote
            StringBuilder sb = null;
            int runStart = _pos;
            while (true)
            {
                if (_pos >= _text.Length) throw Error("unterminated string");
                char c = _text[_pos];
                if (c == '"')
                {
                    string tail = _text.Substring(runStart, _pos - runStart);
                    _pos++;
                    if (sb == null) return tail;
                    sb.Append(tail);
                    return sb.ToString();
                }
                if (c < 0x20) throw Error("control character in string");
                if (c != '\\')
                {
                    _pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.Append(_text, runStart, _pos - runStart);
                _pos++;
                if (_pos >= _text.Length) throw Error("unterminated escape");
                char e = _text[_pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_pos + 4 > _text.Length) throw Error("short \\u escape");
                        int code;
                        if (!int.TryParse(_text.Substring(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);
                        _pos += 4;
                        break;
                    default:
                        throw Error("bad escape '\\" + e + "'");
                }
                runStart = _pos;
            }
        }

        double ReadNumber()
        {
            int start = _pos;
            if (_text[_pos] == '-') _pos++;
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') _pos++;
                else break;
            }
            double value;
            string token = _text.Substring(start, _pos - start);
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                throw Error("bad number '" + token + "'");
            return value;
        }
    }
}
