//! Kong versions, and what each accepts (DESIGN §5, from Kong's source and CHANGELOG).

use std::fmt;

use crate::error::refuse;

/// A Kong Gateway release, `MAJOR.MINOR` (patch and edition suffixes are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KongVersion {
    pub major: u32,
    pub minor: u32,
}

impl KongVersion {
    /// The version offline formats target when `--kong-version` is not given.
    pub const DEFAULT: KongVersion = KongVersion { major: 3, minor: 4 };

    /// Reads `3.4`, `3.4.2`, `2.8.1.0-enterprise-edition`: the leading `MAJOR.MINOR`.
    pub fn parse_prefix(text: &str) -> Option<KongVersion> {
        let mut parts = text.trim().splitn(3, '.');
        let major = parts.next()?;
        let minor_part = parts.next()?;
        let digits: String = minor_part
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let major_ok =
            !major.is_empty() && major.len() <= 4 && major.bytes().all(|b| b.is_ascii_digit());
        if !major_ok || digits.is_empty() || digits.len() > 4 {
            return None;
        }
        Some(KongVersion {
            major: major.parse().ok()?,
            minor: digits.parse().ok()?,
        })
    }

    /// Checks `--kong-version`: `MAJOR.MINOR[.PATCH]`, 2.0 or later.
    pub fn parse_flag(input: &str, value: &str) -> anyhow::Result<KongVersion> {
        let shape_ok = !value.is_empty()
            && value.len() <= 20
            && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !value.starts_with('.')
            && !value.ends_with('.')
            && !value.contains("..");
        let v = shape_ok.then(|| Self::parse_prefix(value)).flatten();
        let Some(v) = v else {
            return Err(refuse(
                input,
                value,
                "not a Kong version",
                "give Kong's version as MAJOR.MINOR, for example 2.8 or 3.4 (`curl -s $KONG_ADMIN_URL | jq -r .version` shows it)",
            ));
        };
        if v.major < 2 {
            return Err(refuse(
                input,
                value,
                "the akto-api-discovery plugin needs Kong Gateway 2.0 or later",
                "upgrade Kong, or give the version Kong will run",
            ));
        }
        Ok(v)
    }

    /// `instance_name` on plugins, and PUT by instance name: Kong 3.2 and later.
    pub fn has_instance_name(self) -> bool {
        self >= KongVersion { major: 3, minor: 2 }
    }

    /// decK's `_format_version` for this Kong: `"1.1"` before 3.0, `"3.0"` from 3.0.
    pub fn deck_format_version(self) -> &'static str {
        if self.major >= 3 {
            "3.0"
        } else {
            "1.1"
        }
    }
}

impl fmt::Display for KongVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_and_decide() {
        let v = |s| KongVersion::parse_prefix(s).unwrap();
        assert_eq!(
            v("2.8.1.0-enterprise-edition"),
            KongVersion { major: 2, minor: 8 }
        );
        assert_eq!(
            v("3.10.0"),
            KongVersion {
                major: 3,
                minor: 10
            }
        );
        assert!(!v("3.1.1").has_instance_name());
        assert!(v("3.2.0").has_instance_name());
        assert!(v("3.10").has_instance_name());
        assert!(v("4.0").has_instance_name());
        assert_eq!(v("2.8").deck_format_version(), "1.1");
        assert_eq!(v("3.0").deck_format_version(), "3.0");
        assert!(KongVersion::parse_prefix("x.1").is_none());
        assert!(KongVersion::parse_flag("--kong-version", "1.5").is_err());
        assert!(KongVersion::parse_flag("--kong-version", "3").is_err());
        assert!(KongVersion::parse_flag("--kong-version", "3.4-beta").is_err());
        assert!(KongVersion::parse_flag("--kong-version", "3.4.1").is_ok());
    }
}
