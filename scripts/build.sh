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
# The web gallery at /: src/gallery bundled for browsers (with the typed client and
# thumbhash), minified, plus its page. The local server serves dist/gallery.
node_modules/.bin/esbuild src/gallery/main.ts src/gallery/gallery.css --bundle --minify --sourcemap \
  --format=esm --target=es2022,chrome111,firefox113,safari16.4 --external:node:* \
  --outdir=dist/gallery --log-level=warning
cp src/gallery/index.html src/gallery/icon.svg dist/gallery/
mv dist/.build-started dist/.build-stamp
