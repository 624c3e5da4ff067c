/**
 * Stage 6: deep-freeze, so runtime code can share the resolved config without copying and nothing
 * can change it by accident (fastify freezes its options the same way).
 * @module
 */

/** A deeply read-only view of T. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Freezes `value` and everything reachable from it (already-frozen parts too); returns the same object. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  freeze(value, new WeakSet());
  return value as DeepReadonly<T>;
}

function freeze(value: unknown, seen: WeakSet<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) freeze((value as Record<PropertyKey, unknown>)[key], seen);
}
