#!/bin/sh
# Installs a released akto-connect binary: downloads the archive for this machine and its
# SHA-256 checksum file, refuses the archive unless the checksum matches, then installs the
# binary. POSIX sh; needs curl, tar (unzip on Windows) and sha256sum or shasum.
#
#   curl -fsSL https://github.com/akto-api-security/akto-connect/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.2.0 --to /usr/local/bin
#
# Environment: AKTO_CONNECT_REPO (owner/name, default akto-api-security/akto-connect),
# AKTO_CONNECT_DOWNLOAD_URL (a folder holding the release's files, replacing GitHub's download
# URL: a mirror, or file:///… for an offline copy).
#
# Exit codes: 0 installed; 1 refused (checksum mismatch, bad arguments, cannot install);
# 3 no release archive for this version and platform could be downloaded.
set -eu

repo=${AKTO_CONNECT_REPO:-akto-api-security/akto-connect}
version=latest
dest=${AKTO_CONNECT_INSTALL_DIR:-"$HOME/.local/bin"}

die() { code=$1; shift; printf 'install.sh: error: %s\n' "$*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || die 1 "--version needs a value (v1.2.3 or latest)"; version=$2; shift 2 ;;
    --to) [ $# -ge 2 ] || die 1 "--to needs a folder"; dest=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die 1 "unknown argument '$1': use --version VERSION and --to DIR" ;;
  esac
done
case $version in
  latest|v[0-9]*) ;;
  *) die 1 "--version '$version' is not a release tag: give v1.2.3 (with the v) or latest" ;;
esac

os=$(uname -s)
arch=$(uname -m)
case $arch in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) die 3 "no release build for the processor '$arch': build from source with cargo install --locked --git https://github.com/$repo akto-connect" ;;
esac
ext=tar.gz
exe=akto-connect
case $os in
  Linux) target=$arch-unknown-linux-musl ;;
  Darwin) target=$arch-apple-darwin ;;
  MINGW*|MSYS*|CYGWIN*) target=x86_64-pc-windows-msvc; ext=zip; exe=akto-connect.exe ;;
  *) die 3 "no release build for the system '$os': build from source with cargo install --locked --git https://github.com/$repo akto-connect" ;;
esac

if [ -n "${AKTO_CONNECT_DOWNLOAD_URL:-}" ]; then
  base=${AKTO_CONNECT_DOWNLOAD_URL%/}
elif [ "$version" = latest ]; then
  base="https://github.com/$repo/releases/latest/download"
else
  base="https://github.com/$repo/releases/download/$version"
fi
archive="akto-connect-$target.$ext"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch() {
  curl --proto '=https,file' --tlsv1.2 -fsSL --retry 3 -o "$tmp/$2" "$base/$1" \
    || die 3 "cannot download $base/$1 (is there a release $version for $target?)"
}
fetch "$archive" "$archive"
fetch "$archive.sha256" "$archive.sha256"

expected=$(awk 'NR == 1 { print tolower($1) }' "$tmp/$archive.sha256")
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$tmp/$archive" | awk '{ print $1 }')
elif command -v shasum >/dev/null 2>&1; then
  actual=$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')
else
  die 1 "neither sha256sum nor shasum is installed: install one (coreutils or perl) so the download can be checked"
fi
case $expected in
  *[!0-9a-f]*|'') die 1 "$archive.sha256 holds no SHA-256 checksum; nothing was installed" ;;
esac
[ "$expected" = "$actual" ] \
  || die 1 "checksum mismatch for $archive: expected $expected, got $actual; nothing was installed (a corrupted or tampered download: try again, or report it)"

mkdir -p "$tmp/x"
if [ "$ext" = zip ]; then unzip -q "$tmp/$archive" -d "$tmp/x"; else tar -xzf "$tmp/$archive" -C "$tmp/x"; fi
bin=$(find "$tmp/x" -type f -name "$exe" | head -n 1)
[ -n "$bin" ] || die 1 "$archive holds no $exe; nothing was installed"
mkdir -p "$dest" || die 1 "cannot create the folder $dest: give another with --to"
# Copy beside the target, then rename: a running or half-copied binary is never left behind.
staged="$dest/.$exe.tmp.$$"
if ! { cp "$bin" "$staged" && chmod 0755 "$staged" && mv -f "$staged" "$dest/$exe"; }; then
  rm -f "$staged"
  die 1 "cannot install into $dest: give a writable folder with --to"
fi
printf 'installed %s (%s, %s) into %s\n' "$exe" "$version" "$target" "$dest"
case ":$PATH:" in *":$dest:"*) ;; *) printf 'note: %s is not on PATH\n' "$dest" >&2 ;; esac
