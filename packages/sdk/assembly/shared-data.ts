// Shared data: key/value pairs shared by every VM of the plugin (across workers), with compare-and-swap.

import * as abi from "./imports";
import { clearOut, OUT_PTR, OUT_SIZE, OUT_WORD, ptrOf, takeOutBytes, utf8 } from "./memory";
import { Status } from "./host";

export class SharedValue {
  constructor(public value: ArrayBuffer, public cas: u32) {}
  text(): string { return String.UTF8.decode(this.value); }
}

/** The value and its CAS token, or null when the key is absent. */
export function getSharedData(key: string): SharedValue | null {
  const k = utf8(key);
  clearOut();
  const status = abi.proxy_get_shared_data(ptrOf(k), k.byteLength, OUT_PTR, OUT_SIZE, OUT_WORD);
  if (status != Status.Ok) return null;
  const cas = load<u32>(OUT_WORD);
  return new SharedValue(takeOutBytes(), cas);
}

/** Sets a value; cas 0 = unconditional, else only if unchanged since that read. Returns the WasmResult (0 ok, 8 CasMismatch). */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): u32 {
  const k = utf8(key);
  return abi.proxy_set_shared_data(ptrOf(k), k.byteLength, ptrOf(value), value.byteLength, cas);
}

export function setSharedDataString(key: string, value: string, cas: u32 = 0): u32 {
  return setSharedData(key, utf8(value), cas);
}
