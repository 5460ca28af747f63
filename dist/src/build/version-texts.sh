#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# version-texts.sh STAGE JAVA: writes STAGE/lib/version/{jwalreceiver,pg_basebackup,pg_receivewal},
# the exact output of "--version" under each name, taken from the staged jar itself. The launcher
# prints it for a lone --version or -V instead of starting a JVM (issue #19: Barman runs
# "pg_receivewal --version" from every cron; a C tool answers in milliseconds, a JVM in 0.2 s). Each
# file gets the jar's mtime, and the launcher uses it only while the jar is not newer: a jar put in
# its place later is asked itself. TarballStartupIT compares the texts with the jar's
# answers under every name.
set -euo pipefail
stage="$1"
java="$2"
jar="$stage/lib/jwalreceiver.jar"
dir="$stage/lib/version"
[ -f "$jar" ] || { echo "version-texts.sh: no $jar" >&2; exit 1; }
rm -rf -- "$dir"
mkdir -p "$dir"
for name in jwalreceiver pg_basebackup pg_receivewal; do
  "$java" -Djwalreceiver.invokedAs="$name" -cp "$jar" io.jwalreceiver.cli.Main --version \
    </dev/null >"$dir/$name.tmp" 2>"$dir/$name.err" \
    || { cat "$dir/$name.err" >&2; echo "version-texts.sh: $name --version failed" >&2; exit 1; }
  # The launcher prints the text line by line with bash builtins: it must be non-empty text
  # ending in a newline, and nothing may go to stderr.
  if [ -s "$dir/$name.err" ] || [ ! -s "$dir/$name.tmp" ] || [ -n "$(tail -c 1 "$dir/$name.tmp")" ] \
      || grep -q -P '[^\t\x20-\x7e]' "$dir/$name.tmp"; then
    echo "version-texts.sh: $name --version did not print one plain text ending in a newline" >&2
    exit 1
  fi
  rm -f "$dir/$name.err"
  mv "$dir/$name.tmp" "$dir/$name"
  touch -r "$jar" "$dir/$name"
done
