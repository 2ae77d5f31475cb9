#!/bin/sh
# `npm run build`: compiles src/ to dist/ from scratch. The stamp that `npm start` compares
# with the sources is taken before compiling (an edit made meanwhile counts as newer) and
# kept only if the compiler succeeded.
set -e
cd "$(dirname "$0")/.."
rm -rf dist
mkdir dist
touch dist/.build-started
node_modules/.bin/tsc -p tsconfig.build.json
# Type declarations for the package's one export, serverless-image-api/client.
node_modules/.bin/tsc -p tsconfig.client.json
chmod +x dist/cli/main.js
mv dist/.build-started dist/.build-stamp
