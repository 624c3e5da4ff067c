// Logging. `log.*` writes wasm-go's wrapper format, `[<plugin>] [<plugin id>|nil] [<x-request-id>|nil] msg`
// (the request id is read back from the `x_request_id` property the SDK stores per stream, as wasm-go does).
// `log.plain.*` writes the message alone, like wasm-go's direct proxywasm.Log* calls.

import { getPropertyString, hostLogLevel, logRaw } from "./host";

export namespace LogLevel {
  export const Trace: u32 = 0;
  export const Debug: u32 = 1;
  export const Info: u32 = 2;
  export const Warn: u32 = 3;
  export const Error: u32 = 4;
  export const Critical: u32 = 5;
}

let pluginName = "";
let pluginId = "";

/** @internal set by setCtx and configure (`_plugin_id_`). */
export function setLogNames(name: string, id: string): void {
  pluginName = name;
  pluginId = id;
}

function prefixed(level: u32, msg: string): void {
  // A line the host would drop costs one cheap hostcall instead of a property read, the prefix
  // and the log hostcall. Only below warn: hosts (wasmgate) may keep warn and above for errors.
  if (level < LogLevel.Warn && level < hostLogLevel()) return;
  const rid = getPropertyString(["x_request_id"]);
  logRaw(level, "[" + pluginName + "] [" + (pluginId.length ? pluginId : "nil") + "] [" +
    (rid !== null && rid.length ? rid : "nil") + "] " + msg);
}

export namespace log {
  export function trace(msg: string): void { prefixed(LogLevel.Trace, msg); }
  export function debug(msg: string): void { prefixed(LogLevel.Debug, msg); }
  export function info(msg: string): void { prefixed(LogLevel.Info, msg); }
  export function warn(msg: string): void { prefixed(LogLevel.Warn, msg); }
  export function error(msg: string): void { prefixed(LogLevel.Error, msg); }
  export function critical(msg: string): void { prefixed(LogLevel.Critical, msg); }
  /** Unprefixed lines. */
  export namespace plain {
    export function trace(msg: string): void { logRaw(LogLevel.Trace, msg); }
    export function debug(msg: string): void { logRaw(LogLevel.Debug, msg); }
    export function info(msg: string): void { logRaw(LogLevel.Info, msg); }
    export function warn(msg: string): void { logRaw(LogLevel.Warn, msg); }
    export function error(msg: string): void { logRaw(LogLevel.Error, msg); }
    export function critical(msg: string): void { logRaw(LogLevel.Critical, msg); }
  }
}
