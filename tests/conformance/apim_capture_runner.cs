// Runs the generated capture predicate (the aktoCapture expression, compiled into
// Generated.Expressions.Capture) on Microsoft's regex engine under Mono.
// Reads lines "regexList<TAB>path" from stdin; prints "True"/"False" and the elapsed
// milliseconds, tab-separated, one line per input line.
using System;
using System.Collections.Generic;
using System.Diagnostics;

class FakeUrl : IUrl
{
    public string Host { get { return "api.example.com"; } }
    public string Path { get; set; }
    public int Port { get { return 443; } }
    public IReadOnlyDictionary<string, string[]> Query { get { return new Dictionary<string, string[]>(); } }
    public string QueryString { get { return ""; } }
    public string Scheme { get { return "https"; } }
}

class FakeRequest : IRequest
{
    public IMessageBody Body { get { return null; } }
    public IReadOnlyDictionary<string, string[]> Headers { get { return new Dictionary<string, string[]>(); } }
    public string IpAddress { get { return "203.0.113.7"; } }
    public IReadOnlyDictionary<string, string> MatchedParameters { get { return new Dictionary<string, string>(); } }
    public string Method { get { return "GET"; } }
    public IUrl OriginalUrl { get; set; }
    public IUrl Url { get { return OriginalUrl; } }
}

class FakeContext : IContext
{
    public IRequest Request { get; set; }
    public IResponse Response { get { return null; } }
    public IReadOnlyDictionary<string, object> Variables { get; set; }
    public TimeSpan Elapsed { get { return TimeSpan.Zero; } }
    public Guid RequestId { get { return Guid.Empty; } }
    public DateTime Timestamp { get { return DateTime.UtcNow; } }
}

static class Runner
{
    static void Main()
    {
        string line;
        while ((line = Console.In.ReadLine()) != null)
        {
            var parts = line.Split('\t');
            var ctx = new FakeContext
            {
                Request = new FakeRequest { OriginalUrl = new FakeUrl { Path = parts[1] } },
                Variables = new Dictionary<string, object> { { "aktoRegexList", parts[0] } },
            };
            var watch = Stopwatch.StartNew();
            var result = Generated.Expressions.Capture(ctx);
            Console.WriteLine(result + "\t" + watch.ElapsedMilliseconds);
        }
    }
}
