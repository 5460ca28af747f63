# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced, not run: async-profiler for bench/profile.sh and bench/fixed-cost.sh, through Maven only
# (tools.profiler:async-profiler, the native agent for every platform in one jar, and
# tools.profiler:jfr-converter, which draws the HTML flame graphs from JFR recordings).
#
# The caller defines die and log. Then:
#   async_profiler_fetch TOOLS VERSION   fetches both into TOOLS (once: kept there for the next run)
#                                        and sets agent (linux-x64/libasyncProfiler.so) and converter

async_profiler_fetch() {
  local tools=$1 version=$2
  agent="$tools/linux-x64/libasyncProfiler.so"
  converter="$tools/jfr-converter-$version.jar"
  if [ ! -f "$agent" ] || [ ! -f "$converter" ]; then
    log "fetching tools.profiler:async-profiler:$version and jfr-converter:$version with mvn"
    mkdir -p "$tools"
    mvn -B -q dependency:copy -Dmdep.overWriteIfNewer=true -DoutputDirectory="$tools" \
      -Dartifact="tools.profiler:async-profiler:$version" >"$tools/mvn.log" 2>&1 \
      || { cat "$tools/mvn.log" >&2; die "mvn could not fetch async-profiler"; }
    mvn -B -q dependency:copy -Dmdep.overWriteIfNewer=true -DoutputDirectory="$tools" \
      -Dartifact="tools.profiler:jfr-converter:$version" >>"$tools/mvn.log" 2>&1 \
      || { cat "$tools/mvn.log" >&2; die "mvn could not fetch jfr-converter"; }
    # The artifact holds the agent for every platform; the scripts run on linux-x64.
    unzip -q -o "$tools/async-profiler-$version.jar" 'linux-x64/*' -d "$tools"
  fi
  [ -f "$agent" ] && [ -f "$converter" ] || die "async-profiler $version is incomplete in $tools"
  [ "$(uname -m)" = x86_64 ] || die "these scripts use the linux-x64 agent; the machine is $(uname -m)"
}
