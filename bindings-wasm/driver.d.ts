// Types of `session-core-wasm/driver`: those of the shared driver, session-core-driver.
export * from 'session-core-driver';
