#!/bin/sh
# What "wasmgate build" runs for this project (Go 1.24 or newer; "go mod tidy" once first).
set -e
mkdir -p build
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/plugin.wasm .
