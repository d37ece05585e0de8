// `session-core/driver`: the shared JavaScript driver, package session-core-driver (one source
// for session-core and session-core-wasm), re-exported under this package's name.
export * from 'session-core-driver';
