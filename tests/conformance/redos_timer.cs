// Measures how IsMatch time grows on failing inputs, on Microsoft's engine (Mono).
// Reads lines "pattern<TAB>prefix<TAB>pump<TAB>suffix" (each field base64 UTF-8); for
// n = 8, 16, ... 4096 times IsMatch(prefix + pump*n + suffix) with a 1 s match timeout, stopping
// after a timeout or a run over 300 ms. Prints "n:ms" pairs per pattern, "T" for a timeout.
using System;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

static class Timer
{
    static string Field(string b64) { return Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }

    static void Main()
    {
        string line;
        while ((line = Console.In.ReadLine()) != null)
        {
            var f = line.Split('\t');
            var re = new Regex(Field(f[0]), RegexOptions.None, TimeSpan.FromSeconds(1));
            string prefix = Field(f[1]), pump = Field(f[2]), suffix = Field(f[3]);
            re.IsMatch(prefix + pump + suffix); // warm up
            var output = new StringBuilder();
            for (int n = 8; n <= 4096; n *= 2)
            {
                var input = new StringBuilder(prefix);
                for (int i = 0; i < n; i++) input.Append(pump);
                input.Append(suffix);
                var s = input.ToString();
                var watch = Stopwatch.StartNew();
                bool timedOut = false;
                try
                {
                    for (int rep = 0; rep < 3; rep++) re.IsMatch(s);
                }
                catch (RegexMatchTimeoutException) { timedOut = true; }
                double ms = watch.Elapsed.TotalMilliseconds / 3;
                output.Append(n).Append(':').Append(timedOut ? "T" : ms.ToString("F3")).Append(' ');
                if (timedOut || ms > 300) break;
            }
            Console.WriteLine(output.ToString().Trim());
        }
    }
}
