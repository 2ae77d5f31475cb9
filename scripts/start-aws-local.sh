#!/bin/sh
# `npm run start:aws-local`: the AWS home on this machine (moto_server for S3, DynamoDB, SQS
# and API Gateway's keys; our stand-ins for API Gateway's proxy integration and the SQS
# event source). Compiles dist/ when stale, like `npm start`, and `exec`s node so signals
# reach it.
set -e
cd "$(dirname "$0")/.."
: "${MALLOC_ARENA_MAX:=2}" "${MALLOC_MMAP_THRESHOLD_:=131072}"
export MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_
sh scripts/build-if-stale.sh
exec node --enable-source-maps dist/aws-local/main.js
