#!/bin/sh
# `npm run backup -- DEST`: an online backup of DATA_DIR into DEST, safe while the server
# runs. Like `npm start`, it runs the compiled code in dist/, compiling it first when it is
# missing or older than the sources.
set -e
cd "$(dirname "$0")/.."
sh scripts/build-if-stale.sh
exec node --enable-source-maps dist/backup.js "$@"
