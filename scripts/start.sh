#!/bin/sh
# `npm start`: runs the compiled server in dist/, compiling it first when it is missing or
# older than the sources. Compiled JavaScript starts in about half the time and memory of
# running src/ through tsx (numbers in BENCHMARKS.md).
#
# `exec` replaces this shell with node, so npm's child is the server itself: the SIGTERM a
# process manager sends to `npm start` is forwarded by npm to the server, which drains.
set -e
cd "$(dirname "$0")/.."

# glibc: fewer malloc arenas and a fixed mmap threshold keep RSS flat (see BENCHMARKS.md).
: "${MALLOC_ARENA_MAX:=2}" "${MALLOC_MMAP_THRESHOLD_:=131072}"
export MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_

sh scripts/build-if-stale.sh
exec node --enable-source-maps dist/server.js
