#!/bin/sh
# What "wasmgate build" runs for this project (rustup target add wasm32-wasip1 once first).
set -e
cargo build --target wasm32-wasip1 --release
mkdir -p build
cp target/wasm32-wasip1/release/{{crate}}.wasm build/plugin.wasm
