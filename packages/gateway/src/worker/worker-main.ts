/**
 * Entry point of a data-plane worker thread. It owns a listener and a VM per plugin (as Envoy runs
 * one VM per worker), and does what the supervisor asks through the messages of protocol.ts. It never
 * fetches or compiles plugins and never reads configuration files: the supervisor does.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedState, type LogLevel } from '@wasmgate/host';
import { createLogger } from '../logger.js';
import type { FromWorker, ToWorker, WorkerInit } from '../supervisor/protocol.js';
import { toWire } from '../supervisor/wire-error.js';
import { CallSlotWriter } from './call-slot.js';
import { DataPlane } from './data-plane.js';
import { BreakOnCallSlot, closeInspector, openInspector } from './inspector.js';
import '../proxy/errors.js';
import '../supervisor/errors.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);

/**
 * Lines are batched per event-loop turn: one message per turn, not one per line. Every reply to the
 * supervisor flushes first, so a reply is a barrier: lines logged before it arrive before it.
 */
const flushes: (() => void)[] = [];
function batcher(type: 'log' | 'access'): (line: string) => void {
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    const out = lines;
    lines = [];
    post({ type, lines: out });
  };
  flushes.push(flush);
  return (line) => {
    if (lines.length === 0) setImmediate(flush);
    lines.push(line);
  };
}

const logger = createLogger(batcher('log'), init.logLevel as LogLevel);
const shared = attachSharedState(init.shared as Parameters<typeof attachSharedState>[0], {
  threadId: init.workerId,
  notifyQueueReady: (to: number, queueId: number) => post({ type: 'queue-notify', to, queueId }),
});
// --inspect: this thread's own inspector endpoint, before any plugin code runs (worker/inspector.ts).
if (init.inspect) openInspector(init.inspect, post);
const callSlot = init.inspect?.breakOn.length
  ? new BreakOnCallSlot(init.callSlot, post, init.inspect.breakOn, logger)
  : new CallSlotWriter(init.callSlot, post);

/**
 * A dropped VM's linear memory (up to its cap, 4 GiB at most) is freed only when V8 collects the
 * instance, and a worker that allocates little JavaScript may not collect for a long time: the
 * process would keep the memory of every VM it ever dropped. So a collection is asked for shortly
 * after a VM is let go (debounced; VMs are dropped on failure, rebuild and reload only).
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
let gcTimer: NodeJS.Timeout | undefined;
const vmReleased = () => {
  clearTimeout(gcTimer);
  gcTimer = setTimeout(collect, 100);
  gcTimer.unref();
};
// Lines are formatted here, in the worker (the generation's accessLog format), and sent as text.
const access = init.accessLog ? batcher('access') : undefined;
const plane = new DataPlane(init, { logger, stores: shared, callSlot, vmReleased }, access);

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'prepare':
      return reply(m.req, () => plane.prepare(m.generation));
    case 'commit':
      return reply(m.req, () => plane.commit(m.id));
    case 'discard':
      return plane.discard(m.id);
    case 'listen':
      return reply(m.req, () => plane.listen());
    case 'status':
      return reply(m.req, () => plane.status());
    case 'queue-ready':
      return shared.sharedQueues.deliverReady(m.queueId);
    case 'log-level':
      logger.level = m.level as LogLevel;
      return;
    case 'close':
      return reply(m.req, async () => {
        await plane.close(m.drainMs);
        if (init.inspect) closeInspector();
      });
  }
}

async function reply(req: number, fn: () => unknown): Promise<void> {
  let answer: FromWorker;
  try {
    answer = { type: 'reply', req, ok: true, value: await fn() };
  } catch (e) {
    answer = { type: 'reply', req, ok: false, errors: toWire(e) };
  }
  for (const f of flushes) f();
  post(answer);
}

port.on('message', (m: ToWorker) => void handle(m));
