/**
 * Contexts (spec §3): the VM context (id 0), root contexts (one per configured plugin instance)
 * and HTTP stream contexts. Hostcalls ask the acting context for maps, buffers and properties; the
 * base class answers "not available here" and subclasses override what they have.
 */
import { WasmResult } from '../abi/constants.js';
import type { BodyBuffer } from './body-buffer.js';
import type { HeaderMap } from './header-map.js';
import type { PropertyValue } from '../properties.js';
import type { RootContext } from './root-context.js';
import type { VmScope } from './scope.js';

/** A header map as a hostcall may use it right now. */
export interface MapSlot {
  readonly map: HeaderMap;
  readonly writable: boolean;
}

/** A body buffer as a hostcall may use it right now. */
export interface BufferSlot {
  readonly buffer: BodyBuffer;
  readonly writable: boolean;
}

export abstract class Context {
  abstract readonly kind: 'vm' | 'root' | 'http';
  readonly id: number;
  readonly vm: VmScope;

  constructor(vm: VmScope, id: number) {
    this.vm = vm;
    this.id = id;
  }

  /** The root this context belongs to (itself for a root; undefined for the VM context). */
  abstract get root(): RootContext | undefined;

  /** Header maps 0–3 (stream maps). Undefined ⇒ BadArgument. */
  headerMap(type: number): MapSlot | undefined {
    const map = this.mapFor(type);
    return map && { map, writable: this.mapWritable(type) };
  }

  /** {@link headerMap} without building a slot (the header hostcalls' hot path). */
  mapFor(_type: number): HeaderMap | undefined {
    return undefined;
  }

  /** Whether map `type` may be changed right now. */
  mapWritable(_type: number): boolean {
    return false;
  }

  /** Buffers 0–3 (stream bodies). Undefined ⇒ NotFound. */
  streamBuffer(_type: number): BufferSlot | undefined {
    return undefined;
  }

  /** Stream-level property, or undefined when this context has none by that path. */
  property(_path: readonly string[]): PropertyValue | undefined {
    return undefined;
  }

  /** proxy_set_property; the base (no stream) answers NotFound as Envoy does. */
  setProperty(_path: readonly string[], _value: Uint8Array): WasmResult {
    return WasmResult.NotFound;
  }
}

export class VmContext extends Context {
  readonly kind = 'vm' as const;
  get root(): undefined {
    return undefined;
  }
}
