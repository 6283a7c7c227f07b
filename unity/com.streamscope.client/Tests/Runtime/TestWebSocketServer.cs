using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace StreamScopeTests
{
    /// <summary>
    /// A tiny WebSocket server on 127.0.0.1 (ephemeral port) for the package's tests: it answers
    /// the upgrade (unless Silent) and records the text messages each connection sends. Silent:
    /// TCP connections are accepted by the OS but the upgrade is never answered, like a frozen app.
    /// </summary>
    public sealed class TestWebSocketServer : IDisposable
    {
        readonly TcpListener _listener;
        readonly Thread _thread;
        readonly List<string> _texts = new List<string>();
        readonly List<TcpClient> _clients = new List<TcpClient>();
        volatile bool _stopping;

        /// <summary>Starts listening; silent servers never accept or answer.</summary>
        public TestWebSocketServer(bool silent)
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            if (silent) return;
            _thread = new Thread(AcceptLoop) { IsBackground = true, Name = "TestWebSocketServer" };
            _thread.Start();
        }

        /// <summary>The port it listens on.</summary>
        public int Port { get; private set; }

        /// <summary>ws://127.0.0.1:port</summary>
        public string Url { get { return "ws://127.0.0.1:" + Port; } }

        /// <summary>Text messages received so far, all connections, in order.</summary>
        public string[] Texts
        {
            get { lock (_texts) return _texts.ToArray(); }
        }

        /// <summary>Whether some connection sent exactly this text message.</summary>
        public bool Received(string text)
        {
            lock (_texts) return _texts.Contains(text);
        }

        void AcceptLoop()
        {
            while (!_stopping)
            {
                TcpClient client;
                try { client = _listener.AcceptTcpClient(); }
                catch (Exception) { return; }
                lock (_clients) _clients.Add(client);
                var reader = new Thread(Serve) { IsBackground = true };
                reader.Start(client);
            }
        }

        void Serve(object state)
        {
            var client = (TcpClient)state;
            try
            {
                NetworkStream stream = client.GetStream();
                string request = ReadRequest(stream);
                string key = Header(request, "Sec-WebSocket-Key");
                string accept;
                using (SHA1 sha = SHA1.Create())
                    accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                byte[] reply = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
                stream.Write(reply, 0, reply.Length);
                while (!_stopping)
                {
                    int b0 = stream.ReadByte();
                    int b1 = stream.ReadByte();
                    if (b0 < 0 || b1 < 0) return;
                    long length = b1 & 0x7F;
                    if (length == 126) length = (stream.ReadByte() << 8) | stream.ReadByte();
                    else if (length == 127)
                    {
                        length = 0;
                        for (int i = 0; i < 8; i++) length = length * 256 + (stream.ReadByte() & 0xFF);
                    }
                    byte[] mask = ReadExactly(stream, (b1 & 0x80) != 0 ? 4 : 0);
                    byte[] payload = ReadExactly(stream, (int)length);
                    for (int i = 0; i < payload.Length && mask.Length == 4; i++) payload[i] ^= mask[i & 3];
                    int opcode = b0 & 0x0F;
                    if (opcode == 8) return;  // close
                    if (opcode == 1) lock (_texts) _texts.Add(Encoding.UTF8.GetString(payload));
                }
            }
            catch (Exception)
            {
                // the client went away
            }
            finally
            {
                client.Close();
            }
        }

        static string ReadRequest(NetworkStream stream)
        {
            var sb = new StringBuilder();
            while (!sb.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int b = stream.ReadByte();
                if (b < 0) throw new System.IO.EndOfStreamException();
                sb.Append((char)b);
            }
            return sb.ToString();
        }

        static string Header(string request, string name)
        {
            foreach (string line in request.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && string.Equals(line.Substring(0, colon).Trim(), name, StringComparison.OrdinalIgnoreCase))
                    return line.Substring(colon + 1).Trim();
            }
            return "";
        }

        static byte[] ReadExactly(NetworkStream stream, int count)
        {
            var buffer = new byte[count];
            int read = 0;
            while (read < count)
            {
                int n = stream.Read(buffer, read, count - read);
                if (n <= 0) throw new System.IO.EndOfStreamException();
                read += n;
            }
            return buffer;
        }

        /// <summary>Stops listening and closes every connection.</summary>
        public void Dispose()
        {
            _stopping = true;
            _listener.Stop();
            lock (_clients)
                foreach (TcpClient c in _clients) c.Close();
        }
    }
}
