#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prepares what the Debian package needs beyond the staged release directory (run by the dist
# module's package phase, after tarball.sh and before jdeb):
#   deb.sh STAGE DEB_SRC WORK VERSION MAINTAINER
# STAGE is the release directory, DEB_SRC dist/src/deb, WORK an output directory made afresh.
# Writes WORK/man/man1/*.1.gz (the jwalreceiver pages) and WORK/pg-man/man1/*.1.gz (the pages
# under the PostgreSQL names), gzip -9n as Debian wants them; WORK/doc/{copyright,changelog.gz}
# with the package version (VERSION as jdeb turns it into a Debian one: '-' becomes '~') and
# the maintainer filled in.
set -euo pipefail
stage="$1"
src="$2"
work="$3"
version="$4"
maintainer="$5"

deb_version="${version//-/\~}"
rm -rf "$work"
mkdir -p "$work/doc"

shopt -s nullglob
for page in "$stage"/share/man/man1/*.1 "$stage"/pg-bin/man/man1/*.1; do
  name="$(basename -- "$page")"
  case "$name" in
    pg_*) dir="$work/pg-man/man1" ;;
    *) dir="$work/man/man1" ;;
  esac
  mkdir -p "$dir"
  gzip -9n -c "$page" >"$dir/$name.gz"
done

fill() {
  sed -e "s|@DEB_VERSION@|$deb_version|g" -e "s|@DEB_MAINTAINER@|$maintainer|g" "$1"
}
fill "$src/copyright" >"$work/doc/copyright"
fill "$src/changelog" | gzip -9n >"$work/doc/changelog.gz"
chmod -R u=rwX,go=rX "$work"
