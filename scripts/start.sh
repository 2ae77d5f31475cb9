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

stale=$(find src package.json tsconfig.json tsconfig.build.json -newer dist/.build-stamp 2>/dev/null | head -n 1 || true)
if [ ! -f dist/.build-stamp ] || [ -n "$stale" ]; then
  if [ -x node_modules/.bin/tsc ]; then
    echo "Compiling src/ to dist/ (first start, or the sources changed) ..." >&2
    npm run --silent build
  elif [ -f dist/server.js ]; then
    echo "Warning: dist/ is older than src/ and TypeScript is not installed; starting the old build." >&2
  else
    echo "dist/ is missing and TypeScript is not installed: run 'npm ci' then 'npm run build'." >&2
    exit 1
  fi
fi
exec node --enable-source-maps dist/server.js
