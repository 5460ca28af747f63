#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Finishes the staged release directory and packs it (run by the dist module's package phase):
#   tarball.sh STAGE_PARENT NAME OUTPUT
# STAGE_PARENT/NAME holds the files Maven staged (bin/, lib/, share/, ...); this adds what Maven's
# file copies cannot make, the executable bits and the pg-bin links, and writes OUTPUT (.tar.gz)
# with NAME/ as its top directory, files in name order and owned by root.
set -euo pipefail
parent="$1"
name="$2"
out="$3"
stage="$parent/$name"

chmod 0755 "$stage/bin/jwalreceiver"
mkdir -p "$stage/pg-bin"
for tool in pg_basebackup pg_receivewal; do
  ln -sfn ../bin/jwalreceiver "$stage/pg-bin/$tool"
done

tar --sort=name --owner=0 --group=0 --numeric-owner \
  -C "$parent" -czf "$out" "$name"
