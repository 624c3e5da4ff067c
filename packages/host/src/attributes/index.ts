/** Envoy's built-in attributes: the embedder's facts, and the resolver both embedders share. */
export { ResponseFlag, type CertificateFacts, type Peer, type StreamFacts, type TlsFacts, type UpstreamFacts } from './facts.js';
export { attributeKey, attributePath, resolveAttribute, BUILTIN_ATTRIBUTES, type AttributeSource } from './resolve.js';
export { upstreamFailure, type UpstreamFailureKind } from './upstream-failure.js';
