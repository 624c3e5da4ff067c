/**
 * A worker's DataPlane run in the test's own thread: the same generations, VMs and listener a
 * worker thread has, but reachable from the test (generation and VM objects, WeakRefs for leak
 * checks). Config loading and plugin preparation are the supervisor's own functions.
 */
import { attachSharedState, createSharedStateHandle, LogLevel } from '@wasmgate/host';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { preparePlugins } from '../../src/supervisor/prepare-plugins.js';
import { CallSlot, type GenerationPayload } from '../../src/supervisor/protocol.js';
import { toWire } from '../../src/supervisor/wire-error.js';
import { CallSlotWriter } from '../../src/worker/call-slot.js';
import { DataPlane } from '../../src/worker/data-plane.js';
import type { AfterHook } from './gateway.js';

export interface InThreadPlane {
  readonly plane: DataPlane;
  readonly port: number;
  readonly logs: string[];
  /** Loads the config at `paths` as the next generation and commits it (a reload). */
  reload(paths: string[]): Promise<void>;
}

export async function startInThreadPlane(hook: AfterHook, paths: string[]): Promise<InThreadPlane> {
  const logs: string[] = [];
  const logger = createLogger((l) => logs.push(l), LogLevel.debug);
  const stores = attachSharedState(createSharedStateHandle(), { threadId: 1, notifyQueueReady: () => undefined });
  const callSlot = new CallSlotWriter(new SharedArrayBuffer(CallSlot.INTS * 4), () => undefined);
  let next = 1;
  const payload = async (p: string[]): Promise<GenerationPayload> => {
    const loaded = loadConfig(p, { listen: '127.0.0.1:0', admin: '127.0.0.1:0' });
    if (!loaded.config) throw new Error(`config errors: ${loaded.errors.map((e) => e.message).join('; ')}`);
    const prepared = await preparePlugins(loaded.config, {}, logger);
    if (prepared.errors.length > 0) throw prepared.errors[0];
    return { id: next++, config: loaded.config, plugins: prepared.plugins, skipped: [...prepared.skipped].map(([k, e]) => [k, toWire(e)[0]!] as const) };
  };
  const first = await payload(paths);
  const plane = new DataPlane({ workerId: 1, listen: first.config.gateway.listen, reusePort: false, shared: undefined, callSlot: new SharedArrayBuffer(16), logLevel: LogLevel.debug, accessLog: false }, { logger, stores, callSlot }, undefined);
  await plane.prepare(first);
  plane.commit(first.id);
  const port = await plane.listen();
  hook.after(() => plane.close(1000));
  return {
    plane, port, logs,
    async reload(p) {
      const gen = await payload(p);
      await plane.prepare(gen);
      plane.commit(gen.id);
    },
  };
}
