// AssemblyScript's abort, routed here by build.ts (`--use abort=~lib/@wasmgate/sdk/assembly/abort/sdkAbort`)
// so SDK modules never import env.abort and run on any Proxy-Wasm host (Envoy has no env.abort).
// Logs `abort: <message> at <file>:<line>:<column>` at critical, then traps.

import { proxy_log } from "./imports";

let aborting = false;

export function sdkAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  // An abort raised while building the message (out of memory, say) traps at once.
  if (!aborting) {
    aborting = true;
    const text = "abort: " + (message !== null ? message : "") + " at " + (fileName !== null ? fileName : "") +
      ":" + lineNumber.toString() + ":" + columnNumber.toString();
    const bytes = String.UTF8.encode(text);
    proxy_log(5, changetype<usize>(bytes), bytes.byteLength);
  }
  unreachable();
}
