#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The receivewal section of bench/side-by-side.sh alone (kept for the commands in older notes):
#
#   bench/side-by-side-receivewal.sh [--gb N] [--runs N] [--quick] [--before JAR] [--pg-bin DIR] [--dir PARENT]
#
# is `bench/side-by-side.sh --only receivewal` with the same options (see its --help).
exec "$(dirname "${BASH_SOURCE[0]}")/side-by-side.sh" --only receivewal "$@"
