// A compile-time stand-in for the parts of the Azure API Management policy-expression API that
// akto-connect's generated policies use, written from Microsoft's "API Management policy
// expressions" reference (context variable, IRequest, IResponse, IUrl, IMessageBody, and the
// GetValueOrDefault helpers), and for the Newtonsoft.Json types APIM allows.
// Members and signatures follow the documentation; bodies are minimal, enough to run the
// capture predicate under Mono in conformance tests.
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
    // Headers: comma-separated values of the header, or defaultValue when it is absent.
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

namespace Newtonsoft.Json
{
    public enum Formatting { None = 0, Indented = 1 }

    public static class JsonConvert
    {
        public static string SerializeObject(object value) { throw new NotSupportedException("stub"); }
        public static string SerializeObject(object value, Formatting formatting) { throw new NotSupportedException("stub"); }
        public static T DeserializeObject<T>(string value) { throw new NotSupportedException("stub"); }
    }
}

namespace Newtonsoft.Json.Linq
{
    public abstract class JToken
    {
        public static implicit operator JToken(string value) { return new JValue(value); }
        public static implicit operator JToken(bool value) { return new JValue(value); }
        public static implicit operator JToken(int value) { return new JValue(value); }
        public static implicit operator JToken(long value) { return new JValue(value); }
        public static explicit operator string(JToken value) { throw new NotSupportedException("stub"); }
        public virtual JToken this[object key] { get { throw new NotSupportedException("stub"); } set { throw new NotSupportedException("stub"); } }
        public string ToString(Newtonsoft.Json.Formatting formatting) { throw new NotSupportedException("stub"); }
        public T Value<T>(object key) { throw new NotSupportedException("stub"); }
    }

    public class JValue : JToken
    {
        public JValue(object value) { }
    }

    public class JArray : JToken
    {
        public void Add(JToken item) { }
    }

    public class JObject : JToken
    {
        public JToken this[string propertyName] { get { throw new NotSupportedException("stub"); } set { } }
        public static JObject Parse(string json) { throw new NotSupportedException("stub"); }
    }
}
