//! `akto-connect kong verify` against the Admin API stand-in.
