/**
 * Tiny probe plugins assembled in the test (wabt) for situations the committed fixtures do not
 * reach: several hostcalls within one guest call, hostcalls from proxy_on_log. Each stores the
 * statuses it got at fixed addresses (u32 at 0x20, 0x24, …) for the test to read.
 */
import type { PluginModule } from '@wasmgate/host';
import { compileWat } from './wat.js';

const HEADER = `
  (import "env" "proxy_set_effective_context" (func $eff (param i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "x-eff")
  (data (i32.const 0x108) "1")
  (data (i32.const 0x110) ":path")
  (data (i32.const 0x118) ":status")
  (global $heap (mut i32) (i32.const 0x1000))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))`;

let probe: Promise<PluginModule> | undefined;

/**
 * The probe plugin:
 * - `effective_then_add(id)`: set_effective_context(id) → [0x20], then add request header
 *   `x-eff: 1` → [0x24]; returns the add status. Then continue_stream(0) → [0x28].
 * - `proxy_on_log(ctx)`: get request `:path` → [0x30], add request `x-eff` → [0x34], get response
 *   `:status` → [0x38], replace response `x-eff` → [0x3c], get request pairs → [0x40].
 */
export function probeModule(): Promise<PluginModule> {
  probe ??= compileWat('probe.wat', `(module${HEADER}
  (func (export "effective_then_add") (param $id i32) (result i32)
    (i32.store (i32.const 0x20) (call $eff (local.get $id)))
    (i32.store (i32.const 0x24) (call $add (i32.const 0) (i32.const 0x100) (i32.const 5) (i32.const 0x108) (i32.const 1)))
    (i32.store (i32.const 0x28) (call $continue (i32.const 0)))
    (i32.load (i32.const 0x24)))
  (func (export "proxy_on_log") (param i32)
    (i32.store (i32.const 0x30) (call $get (i32.const 0) (i32.const 0x110) (i32.const 5) (i32.const 0x10) (i32.const 0x14)))
    (i32.store (i32.const 0x34) (call $add (i32.const 0) (i32.const 0x100) (i32.const 5) (i32.const 0x108) (i32.const 1)))
    (i32.store (i32.const 0x38) (call $get (i32.const 2) (i32.const 0x118) (i32.const 7) (i32.const 0x10) (i32.const 0x14)))
    (i32.store (i32.const 0x3c) (call $replace (i32.const 2) (i32.const 0x100) (i32.const 5) (i32.const 0x108) (i32.const 1)))
    (i32.store (i32.const 0x40) (call $pairs (i32.const 0) (i32.const 0x10) (i32.const 0x14)))))`);
  return probe;
}
