//! Kafka's `ApiVersions` exchange, the wire bytes only: it proves the broker speaks Kafka, not
//! only that a TCP port is open. The socket lives in `app::aws_verify`.

/// `ApiVersions` v0 (api key 18): every broker since Kafka 0.10 answers it. Framed with its
/// 4-byte length, request header v1 (api key, version, correlation id, client id).
pub fn api_versions_request(correlation_id: i32) -> Vec<u8> {
    let client = b"akto-connect";
    let mut body = Vec::new();
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&correlation_id.to_be_bytes());
    body.extend_from_slice(&(client.len() as i16).to_be_bytes());
    body.extend_from_slice(client);
    let mut out = (body.len() as i32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// What a broker said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersions {
    pub error_code: i16,
    /// `(api key, min version, max version)`.
    pub apis: Vec<(i16, i16, i16)>,
}

/// Reads a v0 answer (the frame without its length prefix). `Err` names what is not Kafka.
pub fn parse_api_versions(frame: &[u8], correlation_id: i32) -> Result<ApiVersions, String> {
    let i32_at = |i: usize| {
        frame
            .get(i..i + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let i16_at = |i: usize| {
        frame
            .get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
    };
    let id = i32_at(0).ok_or("the answer is shorter than a Kafka response header")?;
    if id != correlation_id {
        return Err(format!(
            "the answer's correlation id is {id}, not the {correlation_id} sent"
        ));
    }
    let error_code = i16_at(4).ok_or("the answer has no error code")?;
    let n = i32_at(6).ok_or("the answer has no API list")?;
    if !(0..=1000).contains(&n) {
        return Err(format!("the answer lists {n} APIs"));
    }
    let mut apis = Vec::new();
    for k in 0..n as usize {
        let at = 10 + k * 6;
        match (i16_at(at), i16_at(at + 2), i16_at(at + 4)) {
            (Some(a), Some(min), Some(max)) => apis.push((a, min, max)),
            _ => return Err("the API list is cut short".into()),
        }
    }
    Ok(ApiVersions { error_code, apis })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes_and_answer() {
        let r = api_versions_request(7);
        assert_eq!(&r[..4], &(r.len() as i32 - 4).to_be_bytes());
        assert_eq!(&r[4..8], &[0, 18, 0, 0]);
        let mut a = 7i32.to_be_bytes().to_vec();
        a.extend_from_slice(&0i16.to_be_bytes());
        a.extend_from_slice(&1i32.to_be_bytes());
        a.extend_from_slice(&[0, 0, 0, 0, 0, 9]);
        assert_eq!(
            parse_api_versions(&a, 7).unwrap(),
            ApiVersions {
                error_code: 0,
                apis: vec![(0, 0, 9)]
            }
        );
        assert!(parse_api_versions(b"HTTP/1.1 400", 7).is_err());
    }
}
