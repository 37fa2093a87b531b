//! The ingest contract of Akto's data-ingestion service (`POST /api/ingestData`), stated once.
//!
//! Every record a gateway artifact sends (the APIM capture policy, the Kong plugin) and the
//! synthetic record `akto-connect verify` sends carries exactly [`FIELDS`], every value a JSON
//! string: Akto's service binds them to `String` members, so a number or a boolean is refused
//! with HTTP 422 and `actionErrors`. Headers are JSON objects serialized into a string.
//!
//! Not for: sending anything (see `net`), or the optional fields newer services know (`destIp`,
//! `direction`, `tag`, …), which no artifact of ours sends.

use serde_json::{Map, Value};

/// Path of the ingest API below the service's base URL.
pub const INGEST_PATH: &str = "/api/ingestData";

/// The JSON type of a record field. The contract has one; naming it keeps the cross-checks
/// (APIM runtime output, the stand-in) honest about what they compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A JSON string, even for numbers (`time`, `statusCode`) and booleans (`is_pending`).
    String,
}

impl FieldType {
    /// The JSON Schema / JavaScript name of the type.
    pub fn json_name(self) -> &'static str {
        match self {
            FieldType::String => "string",
        }
    }
}

/// One field of an ingest record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// What the gateway puts there.
    pub meaning: &'static str,
}

const fn string(name: &'static str, meaning: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::String,
        meaning,
    }
}

/// The fields of a record, in the order the seed's policy writes them.
pub const FIELDS: [Field; 15] = [
    string("path", "the request path, without the query"),
    string(
        "requestHeaders",
        "request headers: a JSON object serialized into a string",
    ),
    string(
        "responseHeaders",
        "response headers: a JSON object serialized into a string",
    ),
    string("method", "the HTTP method"),
    string("requestPayload", "the request body, or empty"),
    string("responsePayload", "the response body, or empty"),
    string("ip", "the client's IP address"),
    string("time", "unix time in seconds, as decimal digits"),
    string("statusCode", "the response status, as decimal digits"),
    string("type", "the protocol, \"HTTP/1.1\""),
    string("status", "the response's reason phrase"),
    string(
        "akto_account_id",
        "the Akto account id, \"1000000\" by default",
    ),
    string("akto_vxlan_id", "the VXLAN id, \"0\""),
    string("is_pending", "\"false\""),
    string("source", "\"MIRRORING\""),
];

/// The field names, in order.
pub fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|f| f.name)
}

/// The path prefix of every synthetic record, so it is easy to find in Akto and harmless.
pub const VERIFY_PATH_PREFIX: &str = "/akto-connect-verify/";

/// What the synthetic record is made from (the caller supplies time and identity; this module
/// does no I/O).
#[derive(Debug, Clone)]
pub struct Synthetic<'a> {
    /// Unix time, seconds.
    pub unix_time: u64,
    /// Makes the path unique per run (e.g. the process id).
    pub nonce: u32,
    /// The ingest service's host, placed in the record's request `host` header.
    pub host: &'a str,
    pub account_id: &'a str,
    pub vxlan_id: &'a str,
    /// The tool's version, in the `user-agent` header.
    pub version: &'a str,
}

/// The synthetic record: every field of [`FIELDS`], each a string, a GET of
/// `/akto-connect-verify/<time>-<nonce>` answered 200.
pub fn synthetic_record(s: &Synthetic<'_>) -> Map<String, Value> {
    let request_headers = serde_json::json!({
        "host": s.host,
        "user-agent": format!("akto-connect/{} verify", s.version),
        "accept": "application/json",
        "x-akto-connect-verify": "true",
    });
    let response_headers = serde_json::json!({
        "content-type": "application/json",
    });
    let mut record = Map::new();
    for field in FIELDS {
        let value = match field.name {
            "path" => format!("{VERIFY_PATH_PREFIX}{}-{}", s.unix_time, s.nonce),
            "requestHeaders" => request_headers.to_string(),
            "responseHeaders" => response_headers.to_string(),
            "method" => "GET".to_string(),
            "requestPayload" => String::new(),
            "responsePayload" => r#"{"akto-connect":"verify"}"#.to_string(),
            "ip" => "127.0.0.1".to_string(),
            "time" => s.unix_time.to_string(),
            "statusCode" => "200".to_string(),
            "type" => "HTTP/1.1".to_string(),
            "status" => "OK".to_string(),
            "akto_account_id" => s.account_id.to_string(),
            "akto_vxlan_id" => s.vxlan_id.to_string(),
            "is_pending" => "false".to_string(),
            "source" => "MIRRORING".to_string(),
            // A field added to FIELDS without a value here is caught by the tests below.
            _ => String::new(),
        };
        record.insert(field.name.to_string(), Value::String(value));
    }
    record
}

/// The request body: `{"batchData":[record]}`.
pub fn batch(record: Map<String, Value>) -> Value {
    serde_json::json!({ "batchData": [Value::Object(record)] })
}

/// Checks a batch against the contract as Akto's service reads it; returns the problems, as
/// the service's `actionErrors` would list them. Used by the tests' cross-checks.
pub fn check_batch(body: &Value) -> Vec<String> {
    let Some(batch) = body.get("batchData").and_then(Value::as_array) else {
        return vec!["batchData: expected a list of records".to_string()];
    };
    let mut problems = Vec::new();
    for (i, entry) in batch.iter().enumerate() {
        let Some(entry) = entry.as_object() else {
            problems.push(format!("batchData[{i}]: expected an object"));
            continue;
        };
        for field in FIELDS {
            match entry.get(field.name) {
                None => problems.push(format!("batchData[{i}].{}: missing", field.name)),
                Some(Value::String(_)) => {}
                Some(other) => problems.push(format!(
                    "batchData[{i}].{}: expected a {}, found {other}",
                    field.name,
                    field.ty.json_name()
                )),
            }
        }
        for name in entry.keys() {
            if !FIELDS.iter().any(|f| f.name == name) {
                problems.push(format!(
                    "batchData[{i}].{name}: not a field of the contract"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Map<String, Value> {
        synthetic_record(&Synthetic {
            unix_time: 1_700_000_000,
            nonce: 42,
            host: "ingest.example.com",
            account_id: "1000000",
            vxlan_id: "0",
            version: "0.1.0",
        })
    }

    #[test]
    fn the_synthetic_record_has_every_field_as_a_non_empty_string_where_meaningful() {
        let r = sample();
        assert_eq!(
            r.keys().map(String::as_str).collect::<Vec<_>>(),
            field_names().collect::<Vec<_>>()
        );
        assert!(check_batch(&batch(r.clone())).is_empty());
        assert_eq!(r["path"], "/akto-connect-verify/1700000000-42");
        assert_eq!(r["time"], "1700000000");
        for (k, v) in &r {
            if k != "requestPayload" {
                assert!(!v.as_str().unwrap().is_empty(), "{k} is empty");
            }
        }
        let headers: Value = serde_json::from_str(r["requestHeaders"].as_str().unwrap()).unwrap();
        assert_eq!(headers["host"], "ingest.example.com");
    }

    #[test]
    fn check_batch_names_wrong_types_missing_and_unknown_fields() {
        let mut r = sample();
        r.insert("time".into(), serde_json::json!(1_700_000_000));
        r.remove("ip");
        r.insert("extra".into(), serde_json::json!("x"));
        let problems = check_batch(&batch(r));
        assert_eq!(
            problems,
            [
                "batchData[0].ip: missing",
                "batchData[0].time: expected a string, found 1700000000",
                "batchData[0].extra: not a field of the contract",
            ]
        );
        assert_eq!(check_batch(&serde_json::json!({})).len(), 1);
    }
}
