/**
 * A worker thread that runs one instrumented plugin, for the CPU-deadline tests: the test thread
 * plays the supervisor. Protocol (workerData: { fixture, callTimeoutMs }):
 *
 *   worker → test  { type: 'ready', flags }          flags: the VM's interrupt SharedArrayBuffer
 *   test → worker  { type: 'spin' }
 *   worker → test  { type: 'calling' }               posted as the guest call starts (see `calling`)
 *   worker → test  { type: 'result', codes, messages, state, replies }   after the call returned
 *   test → worker  { type: 'ping' }
 *   worker → test  { type: 'pong', fresh }           fresh: the state of a new VM of the same module
 *                                                    started on this same thread (and whether a plain
 *                                                    request through it reached upstream)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compilePlugin, PluginVm } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './chain.js';
import { readFixture } from './fixtures.js';
import { TestPorts } from './ports.js';

export interface WorkerInput {
  readonly fixture: string;
  readonly callTimeoutMs?: number;
  /**
   * When to post 'calling': right before the stream call ('before'), or when the guest, already
   * inside proxy_on_request_headers, first asks the host for data ('allocator'). The latter keeps
   * the flag from landing in proxy_on_context_create of a plugin whose context creation checks.
   */
  readonly calling: 'before' | 'allocator';
  /** Send a plain request through the fresh VM on 'ping' (not for a plugin that spins on every request). */
  readonly freshRequest: boolean;
}

export type FromWorker =
  | { type: 'ready'; flags: SharedArrayBuffer }
  | { type: 'calling' }
  | { type: 'result'; codes: string[]; messages: string[]; state: string; replies: number[] }
  | { type: 'pong'; fresh: string }
  | { type: 'error'; message: string };

const port = parentPort!;
const input = workerData as WorkerInput;

async function main(): Promise<void> {
  const mod = await compilePlugin(readFixture(input.fixture), input.fixture, { interrupt: true });
  const start = async () => {
    const vm = await PluginVm.create(mod, { ports: new TestPorts(), name: input.fixture, ...(input.callTimeoutMs ? { callTimeoutMs: input.callTimeoutMs } : {}) });
    return { vm, root: vm.createRoot({ name: input.fixture, config: '' }) };
  };
  const { vm, root } = await start();
  if (!vm.interruptFlags) throw new Error('the instrumented VM has no interrupt flags');
  port.on('message', (m: { type: string }) => {
    if (m.type === 'spin') {
      const run = openStream([filter(vm, root)]);
      const calling = () => port.postMessage({ type: 'calling' } satisfies FromWorker);
      if (input.calling === 'before') calling();
      else {
        const alloc = vm.memory.allocator!;
        vm.memory.allocator = (n) => {
          vm.memory.allocator = alloc;
          calling();
          return alloc(n);
        };
      }
      run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'spin']]), true);
      port.postMessage({
        type: 'result',
        codes: run.filterErrors.map((e) => e.code),
        messages: run.filterErrors.map((e) => e.message),
        state: vm.state,
        replies: run.localReplies.map((r) => r.status),
      } satisfies FromWorker);
    } else if (m.type === 'ping') {
      void start().then(({ vm: fresh, root: freshRoot }) => {
        let upstream = '';
        if (input.freshRequest) {
          const run = openStream([filter(fresh, freshRoot)]);
          run.stream.requestHeaders(requestHeaders(), true);
          run.stream.finish();
          upstream = `, upstream ${run.sink.upstreamHeaders ? 'reached' : 'not reached'}`;
        }
        port.postMessage({ type: 'pong', fresh: `${fresh.state}${upstream}` } satisfies FromWorker);
      });
    }
  });
  port.postMessage({ type: 'ready', flags: vm.interruptFlags.buffer as SharedArrayBuffer } satisfies FromWorker);
}

main().catch((e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies FromWorker));
