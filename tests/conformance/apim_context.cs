// A working stand-in for the parts of the Azure API Management policy-expression API that
// akto-connect's generated policies use, written from Microsoft's "API Management policy
// expressions" reference: the context variable, IRequest, IResponse, IUrl, IMessageBody, and the
// GetValueOrDefault helpers. Newtonsoft.Json is the real library (Debian's
// libnewtonsoft-json5.0-cil), referenced at compile time, not stubbed.
//
// What it does, as APIM does it:
// - headers are case-insensitive dictionaries of string arrays; GetValueOrDefault on headers
//   joins a header's values with ",";
// - a message body can be read once; As<T>(preserveContent: true) leaves it for the next reader
//   (the backend, the client), As<T>() without it consumes it;
// - context.Variables is read-only to expressions; <set-variable> writes it (Context.Set);
// - context.Response is empty until the backend answers.
// The policy steps themselves (set-variable, choose, send-one-way-request, forward-request,
// base, include-fragment) are executed by code the tests generate from the policy document.
using System;
using System.Collections.Generic;
using System.Linq;

public interface IUrl
{
    string Host { get; }
    string Path { get; }
    int Port { get; }
    IReadOnlyDictionary<string, string[]> Query { get; }
    string QueryString { get; }
    string Scheme { get; }
}

public interface IMessageBody
{
    T As<T>(bool preserveContent = false);
}

public interface IRequest
{
    IMessageBody Body { get; }
    IReadOnlyDictionary<string, string[]> Headers { get; }
    string IpAddress { get; }
    IReadOnlyDictionary<string, string> MatchedParameters { get; }
    string Method { get; }
    IUrl OriginalUrl { get; }
    IUrl Url { get; }
}

public interface IResponse
{
    IMessageBody Body { get; }
    IReadOnlyDictionary<string, string[]> Headers { get; }
    int StatusCode { get; }
    string StatusReason { get; }
}

public interface IContext
{
    IRequest Request { get; }
    IResponse Response { get; }
    IReadOnlyDictionary<string, object> Variables { get; }
    TimeSpan Elapsed { get; }
    Guid RequestId { get; }
    DateTime Timestamp { get; }
}

public static class PolicyExpressionExtensions
{
    // Headers: the header's values joined with ",", or defaultValue when it is absent.
    public static string GetValueOrDefault(this IReadOnlyDictionary<string, string[]> headers, string headerName, string defaultValue)
    {
        string[] values;
        return headers.TryGetValue(headerName, out values) ? string.Join(",", values) : defaultValue;
    }

    public static string GetValueOrDefault(this IReadOnlyDictionary<string, string[]> headers, string headerName)
    {
        return headers.GetValueOrDefault(headerName, null);
    }

    // Variables: the value cast to T, or defaultValue when it is absent.
    public static T GetValueOrDefault<T>(this IReadOnlyDictionary<string, object> variables, string variableName, T defaultValue)
    {
        object value;
        return variables.TryGetValue(variableName, out value) ? (T)value : defaultValue;
    }

    public static T GetValueOrDefault<T>(this IReadOnlyDictionary<string, object> variables, string variableName)
    {
        return variables.GetValueOrDefault<T>(variableName, default(T));
    }
}

public class Url : IUrl
{
    public string Host { get; set; }
    public string Path { get; set; }
    public int Port { get; set; }
    public IReadOnlyDictionary<string, string[]> Query { get; set; }
    public string QueryString { get; set; }
    public string Scheme { get; set; }
}

public class Body : IMessageBody
{
    private string content;
    private bool consumed;

    public Body(string content) { this.content = content; }

    public T As<T>(bool preserveContent = false)
    {
        var text = consumed ? "" : content;
        if (!preserveContent)
        {
            consumed = true;
        }
        if (typeof(T) == typeof(string))
        {
            return (T)(object)text;
        }
        if (typeof(T) == typeof(Newtonsoft.Json.Linq.JObject))
        {
            return (T)(object)Newtonsoft.Json.Linq.JObject.Parse(text);
        }
        if (typeof(T) == typeof(byte[]))
        {
            return (T)(object)System.Text.Encoding.UTF8.GetBytes(text);
        }
        throw new NotSupportedException("As<" + typeof(T).Name + ">");
    }

    // What the next reader (the backend, the client) receives.
    public string Remaining { get { return consumed ? "" : content; } }
}

public static class Headers
{
    public static Dictionary<string, string[]> New()
    {
        return new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
    }
}

public class Request : IRequest
{
    public IMessageBody Body { get; set; }
    public IReadOnlyDictionary<string, string[]> Headers { get; set; }
    public string IpAddress { get; set; }
    public IReadOnlyDictionary<string, string> MatchedParameters { get; set; }
    public string Method { get; set; }
    public IUrl OriginalUrl { get; set; }
    public IUrl Url { get; set; }
}

public class Response : IResponse
{
    public IMessageBody Body { get; set; }
    public IReadOnlyDictionary<string, string[]> Headers { get; set; }
    public int StatusCode { get; set; }
    public string StatusReason { get; set; }
}

// One request a policy sent with send-one-way-request (or send-request).
public class SentRequest
{
    public string Element;
    public string Mode;
    public string Url;
    public string Method;
    public Dictionary<string, List<string>> Headers = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
    public string Body;
}

public class Context : IContext
{
    private readonly Dictionary<string, object> variables = new Dictionary<string, object>();

    public IRequest Request { get; set; }
    public IResponse Response { get; set; }
    public IReadOnlyDictionary<string, object> Variables { get { return variables; } }
    public TimeSpan Elapsed { get { return DateTime.UtcNow - Timestamp; } }
    public Guid RequestId { get; set; }
    public DateTime Timestamp { get; set; }

    // The scope whose policy runs; <base /> at global scope does nothing.
    public string Scope;
    // The backend's answer, handed out when the request is forwarded.
    public Response BackendResponse;
    public bool Forwarded;
    public string ForwardedBody;
    public readonly List<SentRequest> Sent = new List<SentRequest>();
    public readonly List<string> Trace = new List<string>();

    public void Set(string name, object value)
    {
        variables[name] = value;
    }

    // <forward-request />: the backend receives what is left of the request body and answers.
    public void Forward()
    {
        Forwarded = true;
        ForwardedBody = Request.Body == null ? "" : ((Body)Request.Body).Remaining;
        Response = BackendResponse;
    }

    // <base />: the parent scopes' policies for the section. Their stand-in is Microsoft's default
    // (the global backend forwards); at global scope there is no parent.
    public void Base(string section)
    {
        Trace.Add("base:" + section);
        if (Scope != "global" && section == "backend")
        {
            Forward();
        }
    }
}
