// Client discovery (see ./types.ts): autoconfig, autodiscover, OAuth metadata and DNS SRV records.
export { discoveryRoutes, AUTOCONFIG_PATHS } from './routes.js';
export { createDiscoverySource, type ProviderInfo, type DiscoverySourceOptions } from './source.js';
export { mailEndpoints, jmapBaseUrl, type BoundPort, type EndpointConfig } from './endpoints.js';
export { srvRecords, formatSrvZone, type SrvRecord } from './srv.js';
export { AUTODISCOVER_XML_PATH, AUTODISCOVER_JSON_PATH, OUTLOOK_SCHEMA } from './autodiscover.js';
export { PROTECTED_RESOURCE_PATH, AUTHORIZATION_SERVER_PATH } from './oauth-metadata.js';
export type * from './types.js';
