// The oracle for akto-connect's .NET regex parser: Microsoft's System.Text.RegularExpressions
// (as Mono ships it). Reads one base64-encoded UTF-8 pattern per line on stdin; prints one line
// per pattern: "ok", or "err<TAB>" and the exception's reason (without the "parsing ..." prefix).
using System;
using System.Text;
using System.Text.RegularExpressions;

static class Oracle
{
    static void Main()
    {
        string line;
        while ((line = Console.In.ReadLine()) != null)
        {
            var pattern = Encoding.UTF8.GetString(Convert.FromBase64String(line));
            try
            {
                new Regex(pattern);
                Console.WriteLine("ok");
            }
            catch (ArgumentException e)
            {
                var message = e.Message;
                var prefix = "parsing \"" + pattern + "\" - ";
                if (message.StartsWith(prefix))
                {
                    message = message.Substring(prefix.Length);
                }
                Console.WriteLine("err\t" + message.Replace("\r", "\\r").Replace("\n", "\\n"));
            }
        }
    }
}
