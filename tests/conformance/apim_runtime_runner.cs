// Executes generated policies (compiled into Generated.Policies) section by section on the APIM
// context stand-in (apim_context.cs), with the real Newtonsoft.Json.
// Reads a JSON array of scenarios from stdin, each:
//   {"policy": NAME, "scope": "global|product|api|operation", "method", "path", "ip",
//    "requestHeaders": {name: [values]}, "requestBody": string|null,
//    "statusCode": int, "statusReason", "responseHeaders": {…}, "responseBody": string|null,
//    "backendFails": bool (optional: the backend is unreachable, <on-error> runs instead),
//    "query": string (optional: the query string as IUrl.QueryString holds it, "?a=1"),
//    "failsIn": "inbound"|"backend"|"outbound" (optional: the call fails there, <on-error>
//    runs on the error response; "inbound" fails before this policy's <inbound> runs, as a
//    parent scope's validate-jwt does; "outbound" after it ran),
//    "errorStatus", "errorReason", "errorBody" (the error response; default 500)}
// and prints one JSON line per scenario: {"forwarded", "forwardedBody", "clientBody", "onError",
// "sent": [{"element", "mode", "url", "method", "headers": {name: [values]}, "body"}],
// "trace": [...], "error": string|null}.
using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

static class Runner
{
    static Dictionary<string, string[]> ReadHeaders(JToken token)
    {
        var headers = Headers.New();
        if (token == null || token.Type == JTokenType.Null)
        {
            return headers;
        }
        foreach (var p in ((JObject)token).Properties())
        {
            headers[p.Name] = p.Value.Select(v => (string)v).ToArray();
        }
        return headers;
    }

    static string Str(JObject o, string key)
    {
        var t = o[key];
        return t == null || t.Type == JTokenType.Null ? null : (string)t;
    }

    static void Main()
    {
        var scenarios = JArray.Parse(Console.In.ReadToEnd());
        foreach (JObject s in scenarios)
        {
            var url = new Url
            {
                Host = "api.example.com",
                Path = Str(s, "path"),
                Port = 443,
                Query = new Dictionary<string, string[]>(),
                QueryString = Str(s, "query") ?? "",
                Scheme = "https",
            };
            var requestBody = Str(s, "requestBody");
            var responseBody = Str(s, "responseBody");
            var ctx = new Context
            {
                Scope = Str(s, "scope"),
                RequestId = Guid.NewGuid(),
                Timestamp = DateTime.UtcNow,
                Request = new Request
                {
                    Body = new Body(requestBody ?? ""),
                    Headers = ReadHeaders(s["requestHeaders"]),
                    IpAddress = Str(s, "ip"),
                    MatchedParameters = new Dictionary<string, string>(),
                    Method = Str(s, "method"),
                    OriginalUrl = url,
                    Url = url,
                },
                Response = new Response
                {
                    Body = new Body(""),
                    Headers = Headers.New(),
                    StatusCode = 0,
                    StatusReason = "",
                },
                BackendResponse = new Response
                {
                    Body = new Body(responseBody ?? ""),
                    Headers = ReadHeaders(s["responseHeaders"]),
                    StatusCode = (int)s["statusCode"],
                    StatusReason = Str(s, "statusReason"),
                },
            };
            if (requestBody == null)
            {
                ((Request)ctx.Request).Body = null;
            }
            var result = new JObject();
            string error = null;
            var backendFails = s["backendFails"] != null && (bool)s["backendFails"];
            var failsIn = Str(s, "failsIn") ?? (backendFails ? "backend" : null);
            var onError = false;
            try
            {
                // As APIM does when a step fails: the rest of the pipeline is skipped and
                // <on-error> runs on the error response.
                Action fail = () =>
                {
                    onError = true;
                    ctx.Response = new Response
                    {
                        Body = new Body(Str(s, "errorBody") ?? ""),
                        Headers = Headers.New(),
                        StatusCode = s["errorStatus"] == null ? 500 : (int)s["errorStatus"],
                        StatusReason = Str(s, "errorReason") ?? "Internal Server Error",
                    };
                    Generated.Policies.Run(Str(s, "policy"), "on-error", ctx);
                };
                foreach (var section in new[] { "inbound", "backend", "outbound" })
                {
                    if (section == failsIn && section != "outbound")
                    {
                        fail();
                        break;
                    }
                    Generated.Policies.Run(Str(s, "policy"), section, ctx);
                    if (section == failsIn)
                    {
                        fail();
                    }
                }
            }
            catch (Exception e)
            {
                error = e.GetType().Name + ": " + e.Message;
            }
            result["error"] = error;
            result["onError"] = onError;
            result["forwarded"] = ctx.Forwarded;
            result["forwardedBody"] = ctx.ForwardedBody;
            result["clientBody"] = ctx.Response.Body == null ? "" : ((Body)ctx.Response.Body).Remaining;
            var sent = new JArray();
            foreach (var r in ctx.Sent)
            {
                var headers = new JObject();
                foreach (var h in r.Headers)
                {
                    headers[h.Key] = new JArray(h.Value.ToArray());
                }
                var o = new JObject();
                o["element"] = r.Element;
                o["mode"] = r.Mode;
                o["url"] = r.Url;
                o["method"] = r.Method;
                o["headers"] = headers;
                o["body"] = r.Body;
                sent.Add(o);
            }
            result["sent"] = sent;
            result["trace"] = new JArray(ctx.Trace.ToArray());
            Console.WriteLine(result.ToString(Formatting.None));
        }
    }
}
