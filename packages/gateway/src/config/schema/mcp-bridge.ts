/**
 * `networking.higress.io/v1` `McpBridge`: Higress's service-discovery sources. wasmgate reads the
 * `static` and `dns` registries (fixed addresses and DNS names); each becomes a Service named
 * `<name>.static` / `<name>.dns`. Registry types that need a discovery server (nacos, consul, …)
 * are reported and skipped.
 * @see https://higress.cn/docs/latest/user/mcp-bridge/
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Manifest, NonEmpty, Port, Strict } from './common.js';

const Registry = Strict({
  type: NonEmpty({ description: 'static or dns (nacos, nacos2, nacos3, zookeeper, consul and eureka are not supported)' }),
  name: Type.String({
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    maxLength: 63,
    errorMessage: 'must be a lowercase RFC 1123 label (a-z, 0-9 and "-")',
  }),
  domain: Type.Optional(NonEmpty({ description: 'static: "ip:port,ip:port"; dns: "host" (or "host,host")' })),
  port: Type.Optional(Port('the service port (cluster names use it); dns: also the port connected to (default 80)')),
  protocol: Type.Optional(NonEmpty({ description: 'http (default) or https; grpc/grpcs are not supported' })),
  sni: Type.Optional(NonEmpty({ description: 'TLS server name for https registries (default: the host)' })),
  // Fields of the other registry types: known, so they are not "unknown field" warnings; the
  // registry is skipped with a warning anyway.
  zkServicesPath: Type.Optional(Type.Unknown()),
  nacosNamespaceId: Type.Optional(Type.Unknown()),
  nacosNamespace: Type.Optional(Type.Unknown()),
  nacosGroups: Type.Optional(Type.Unknown()),
  nacosAccessKey: Type.Optional(Type.Unknown()),
  nacosSecretKey: Type.Optional(Type.Unknown()),
  nacosRefreshInterval: Type.Optional(Type.Unknown()),
  nacosAddressServer: Type.Optional(Type.Unknown()),
  consulNamespace: Type.Optional(Type.Unknown()),
  consulDatacenter: Type.Optional(Type.Unknown()),
  consulServiceTag: Type.Optional(Type.Unknown()),
  consulRefreshInterval: Type.Optional(Type.Unknown()),
  authSecretName: Type.Optional(Type.Unknown()),
  mcpServerExportDomains: Type.Optional(Type.Unknown()),
  mcpServerBaseUrl: Type.Optional(Type.Unknown()),
  enableMCPServer: Type.Optional(Type.Unknown()),
  enableScopeMcpServers: Type.Optional(Type.Unknown()),
  allowMcpServers: Type.Optional(Type.Unknown()),
  metadata: Type.Optional(Type.Unknown()),
});

/** The `spec` of an McpBridge. */
export const McpBridgeSpecSchema = Strict({
  registries: Type.Optional(Type.Array(Registry)),
});

/** A whole McpBridge manifest. */
export const McpBridgeSchema = Manifest(McpBridgeSpecSchema, false);

export type McpBridgeSpec = Static<typeof McpBridgeSpecSchema>;
export type McpBridgeRegistry = Static<typeof Registry>;
