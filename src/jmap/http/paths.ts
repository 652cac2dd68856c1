// URL paths of the JMAP endpoints (James' layout), shared by the router and the session resource.
export const PATHS = {
  session: '/jmap/session',
  wellKnown: '/.well-known/jmap',
  api: '/jmap',
  websocket: '/jmap/ws',
  upload: '/upload/',
  download: '/download/',
  eventSource: '/eventSource',
} as const;
