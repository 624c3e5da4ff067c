// Test plugin: parses the request body as JSON and answers with what JsonValue says about `x-path`.
export * from "@wasmgate/sdk/assembly/exports";
import { Action, HttpContext, JsonValue, setCtx } from "@wasmgate/sdk";

class Config {}

function onRequestBody(ctx: HttpContext, config: Config, body: ArrayBuffer): Action {
  const v = JsonValue.parse(String.UTF8.decode(body));
  const err = v.error;
  let out: string;
  if (err !== null) {
    out = "error: " + err;
  } else {
    const p = ctx.getRequestHeader("x-path");
    const x = p !== null && p.length > 0 ? v.get(p) : v;
    out = [
      x.exists() ? "exists" : "missing",
      x.kind.toString(),
      x.asString("def"),
      x.asI64(-1).toString(),
      x.asF64(-1).toString(),
      x.asBool() ? "true" : "false",
      x.keys().join(","),
      x.asArray().length.toString(),
      x.toString(),
    ].join("|");
  }
  ctx.sendHttpResponse(200, [], String.UTF8.encode(out));
  return Action.Continue;
}

setCtx<Config>("json", { onRequestBody: onRequestBody });
