// wasmgate configurations for the benchmark variants: one catch-all route to the origin, and 0, 1
// or 5 WasmPlugins (copies of the same module under different names, each with its own VM).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function gatewayConfig(prefix, name, { port, adminPort, originPort, plugins }) {
  const dir = join(prefix, `wasmgate-${name}`);
  mkdirSync(dir, { recursive: true });
  const docs = [
    `apiVersion: wasmgate.io/v1alpha1
kind: Gateway
metadata: { name: bench }
spec:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${adminPort}
  logLevel: warn`,
    `apiVersion: wasmgate.io/v1alpha1
kind: Service
metadata: { name: origin, namespace: default }
spec:
  endpoints: ["127.0.0.1:${originPort}"]`,
    `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: all, namespace: default }
spec:
  defaultBackend:
    service: { name: origin, port: { number: ${originPort} } }`,
    ...plugins.map((path, i) => `apiVersion: extensions.higress.io/v1alpha1
kind: WasmPlugin
metadata: { name: bench-${i}, namespace: default }
spec:
  url: file://${path}
  priority: ${100 - i}
  failStrategy: FAIL_CLOSE`),
  ];
  writeFileSync(join(dir, 'gateway.yaml'), `${docs.join('\n---\n')}\n`);
  return dir;
}
