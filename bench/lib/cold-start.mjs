// Cold start of one plugin in a fresh process: compile (checks included) → instantiate + start
// (_initialize / main) → configure (root context: on_context_create, on_vm_start, on_configure),
// then the first request through the new VM, and a second VM from the already compiled module
// (what a VM recreation costs). Prints JSON, times in ms.
//   node cold-start.mjs <plugin.wasm> [configuration]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { host } from './host.mjs';
import { benchPorts } from './host-ports.mjs';

const { compilePlugin, PluginVm, HttpStream, HeaderMap } = host;

export async function coldStart(path, config = '') {
  const bytes = readFileSync(path);
  const ports = benchPorts();
  const t0 = performance.now();
  const mod = await compilePlugin(bytes, path);
  const t1 = performance.now();
  const vm = await PluginVm.create(mod, { ports, name: 'cold' });
  const t2 = performance.now();
  const root = vm.createRoot({ name: 'cold', rootId: '', config });
  const t3 = performance.now();
  const sink = { requestHeaders() {}, requestData() {}, requestTrailers() {}, responseHeaders() {}, responseData() {}, responseTrailers() {}, abortUpstream() {}, reset() {} };
  const s = new HttpStream([{ name: 'cold', vm, root, failStrategy: 'FAIL_CLOSE' }], sink);
  s.requestHeaders(new HeaderMap([[':method', 'GET'], [':path', '/'], [':authority', 'a'], [':scheme', 'http']]), true);
  s.finish();
  const t4 = performance.now();
  const vm2 = await PluginVm.create(mod, { ports, name: 'warm' });
  vm2.createRoot({ name: 'warm', rootId: '', config });
  const t5 = performance.now();
  if (ports.errors.length) throw new Error(`plugin errors: ${ports.errors.join('; ')}`);
  const r = (x) => Math.round(x * 100) / 100;
  return {
    bytes: bytes.length, compile_ms: r(t1 - t0), instantiate_start_ms: r(t2 - t1), configure_ms: r(t3 - t2),
    total_ms: r(t3 - t0), first_request_ms: r(t4 - t3), second_vm_ms: r(t5 - t4),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await coldStart(process.argv[2], process.argv[3] ?? ''))}\n`);
}
