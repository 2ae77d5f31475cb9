#!/bin/sh
# Compiles src/ to dist/ when dist/ is missing or older than the sources; used by `npm start`
# and by the test run (so servers the tests start with `npm start` never compile at once).
# Exits non-zero when dist/ cannot be used.
set -e
cd "$(dirname "$0")/.."
stale=$(find src package.json package-lock.json scripts/build.sh tsconfig.json tsconfig.build.json tsconfig.client.json -newer dist/.build-stamp 2>/dev/null | head -n 1 || true)
[ -f dist/.build-stamp ] && [ -z "$stale" ] && exit 0
if [ -x node_modules/.bin/tsc ]; then
  echo "Compiling src/ to dist/ (first start, or the sources changed) ..." >&2
  exec sh scripts/build.sh
elif [ -f dist/server.js ]; then
  echo "Warning: dist/ is older than src/ and TypeScript is not installed; using the old build." >&2
else
  echo "dist/ is missing and TypeScript is not installed: run 'npm ci' then 'npm run build'." >&2
  exit 1
fi
