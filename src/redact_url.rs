//! A URL fit for a message or a log: the scheme, host, port and path, without user info, query
//! or fragment, so a password, a SAS signature (`sig=`) or a token in a URL cannot leak into an
//! error, a report or CI output.
//!
//! Pure text: no parsing beyond what cutting needs, no I/O. Not for: checking that a URL is
//! usable (`http_url::BaseUrl` does that) or building one.

/// `url` without user info (`user:password@`), query (`?…`) or fragment (`#…`). Text without
/// `://` keeps only the cut of its query and fragment.
pub fn redact_url(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..cut];
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn user_info_query_and_fragment_are_dropped() {
        assert_eq!(
            redact_url("https://u:p@blob.example.net/c/f.json?sv=1&sig=abc#x"),
            "https://blob.example.net/c/f.json"
        );
        assert_eq!(
            redact_url("http://user@127.0.0.1:8001/plugins?offset=abc"),
            "http://127.0.0.1:8001/plugins"
        );
        assert_eq!(
            redact_url("https://h.example/#token=s3cret"),
            "https://h.example/"
        );
    }

    #[test]
    fn an_at_sign_in_the_password_does_not_keep_part_of_it() {
        assert_eq!(
            redact_url("https://me:p@ss@host.example:8443/x"),
            "https://host.example:8443/x"
        );
    }

    #[test]
    fn an_at_sign_in_the_path_is_not_user_info() {
        assert_eq!(
            redact_url("https://host.example/users/a@b.example?k=1"),
            "https://host.example/users/a@b.example"
        );
    }

    #[test]
    fn urls_without_secrets_and_relative_references_stay_readable() {
        assert_eq!(
            redact_url("http://10.0.1.4:9091/api/ingestData"),
            "http://10.0.1.4:9091/api/ingestData"
        );
        assert_eq!(redact_url("/v2/api/ingestData?sig=x"), "/v2/api/ingestData");
        assert_eq!(redact_url(""), "");
        assert_eq!(redact_url("https://"), "https://");
    }
}
