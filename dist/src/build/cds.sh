#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the class-data sharing (AppCDS) archive of the staged release (run by the dist module's
# prepare-package phase, after the jar and lib/make-cds are staged and before the tarball and the
# .deb are packed):
#   cds.sh RELEASE_DIR JAVA TIMESTAMP
# It writes RELEASE_DIR/lib/jwalreceiver.classlist, the classes the short commands load (named by
# -XX:DumpLoadedClassList in the training runs below: --version, the helps, and a basebackup and a
# receivewal that fail to connect, which is all that runs without a server) followed by those of
# real runs (cds-classes.lst), and from it, with lib/make-cds (the dump step, which the Debian
# package's postinst runs again for the installed Java), RELEASE_DIR/lib/jwalreceiver.jsa, a
# static archive of those classes, and RELEASE_DIR/lib/jwalreceiver.jsa.runtime, the
# JAVA_RUNTIME_VERSION and OS_ARCH lines of JAVA's release file, space-separated, written last (an
# interrupted build or unpacking leaves no runtime file, and tar packs it after the archive): the
# launcher passes the archive only to that exact runtime on that architecture (an archive is
# bound to the JVM build that made it; another one would give up class sharing altogether, the
# JDK's own archive included).
#
# Why static and not JDK 17's dynamic archive (-XX:ArchiveClassesAtExit): picocli's classes are
# class-file version 49, which a dynamic archive skips; a static one (-Xshare:dump) takes them.
#
# The jar is given to the JVM as /proc/self/fd/3, here and in the launcher: JDK 17 uses an archive
# only when the class path is the same string as when it was made (a release unpacked anywhere
# else would not match), and checks the jar itself by its size and modification time. So the
# jar's mtime is set to TIMESTAMP (the build's, ISO 8601), the one jdeb gives every file of the
# .deb; tar keeps it.
set -euo pipefail
release="$1"
java="$2"
timestamp="$3"
jar="$release/lib/jwalreceiver.jar"
archive="$release/lib/jwalreceiver.jsa"
classlist="$release/lib/jwalreceiver.classlist"
rm -f "$archive" "$archive.runtime" "$classlist"

# The launcher's JVM options (jvm_options and cds_options: the class lists are recorded under the
# options the archive is made and used with), its main class (main_class: the training runs are
# "-cp JAR MAIN" as its runs are) and its reading of the runtime's release file (java_feature:
# $runtime and $arch, the archive's key), from the staged launcher itself, which stops after its
# definitions when sourced.
# shellcheck source-path=SCRIPTDIR source=../main/bin/jwalreceiver
. "$release/bin/jwalreceiver"
opts=("${jvm_options[@]}" "${cds_options[@]}")
java_feature "$java"
if [ -z "$runtime" ] || [ -z "$arch" ] || [ ! -d /proc/self/fd ]; then
  echo "cds.sh: no JAVA_RUNTIME_VERSION or OS_ARCH in the release file of $java, or no /proc/self/fd: no CDS archive" >&2
  exit 0
fi

touch -d "$timestamp" "$jar"
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
exec 3<"$jar"

# train NAME INVOKED_AS ARGS...: one run, its loaded classes in $work/NAME.lst; its exit code and
# output do not matter (the failed connections exit 1).
train() {
  local list="$work/$1.lst" invoked="$2"
  shift 2
  "$java" "${opts[@]}" -XX:DumpLoadedClassList="$list" "-Djwalreceiver.invokedAs=$invoked" \
    -cp /proc/self/fd/3 "$main_class" "$@" </dev/null >/dev/null 2>&1 || true
  if [ ! -s "$list" ]; then
    echo "cds.sh: the training run $* wrote no class list" >&2
    exit 1
  fi
}
nowhere="$work/no-server"
mkdir "$nowhere"
train version jwalreceiver --version
train help jwalreceiver --help
train basebackup-help jwalreceiver basebackup --help
train receivewal-help jwalreceiver receivewal --help
train pg-basebackup-help pg_basebackup --help
train pg-receivewal-help pg_receivewal --help
train basebackup pg_basebackup -D "$work/backup" -h "$nowhere" -p 1 -X stream -c fast
train receivewal pg_receivewal -D "$work" -h "$nowhere" -p 1 --no-loop

# Every class once, in the order of first use: the training runs' (this build's classes, with their
# lambda forms), then those real runs against a server loaded (cds-classes.lst, recorded by
# record-cds-classes.sh: the protocol, SCRAM, tar, sinks, manifest and WAL writer, which runs
# without a server never reach). A class that list names and the jar no longer has is skipped by
# the dump. The list is shipped (lib/jwalreceiver.classlist), for make-cds on the installed Java.
classes_from_real_runs="$(dirname -- "${BASH_SOURCE[0]}")/cds-classes.lst"
{
  cat "$work"/*.lst
  [ ! -f "$classes_from_real_runs" ] || grep -v '^#' "$classes_from_real_runs"
} | awk '!seen[$0]++' >"$work/classes.lst"
mv "$work/classes.lst" "$classlist"
chmod 0644 "$classlist"
exec 3<&-
bash "$release/lib/make-cds" "$release/lib" "$java"
