#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Finishes the staged release directory and packs it (run by the dist module's package phase):
#   tarball.sh STAGE_PARENT NAME OUTPUT
# STAGE_PARENT/NAME holds the files Maven staged (bin/, lib/, share/, ...); this adds what Maven's
# file copies cannot make: the README (src/main/tarball/README, its @VERSION@ filled in), the
# modes (directories 0755, files 0644, bin/ 0755, whatever the builder's umask) and the pg-bin
# links. It writes OUTPUT (.tar.gz) with NAME/ as its top directory, files in name order and
# owned by root: nothing in it belongs to the user who built it.
set -euo pipefail
parent="$1"
name="$2"
out="$3"
stage="$parent/$name"
here="$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

version="${name#jwalreceiver-}"
sed "s/@VERSION@/$version/g" "$here/../main/tarball/README" >"$stage/README"

find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage/bin/jwalreceiver"
mkdir -p "$stage/pg-bin"
for tool in pg_basebackup pg_receivewal; do
  ln -sfn ../bin/jwalreceiver "$stage/pg-bin/$tool"
done

tar --sort=name --owner=0 --group=0 --numeric-owner \
  -C "$parent" -czf "$out" "$name"
