// Types of `session-core/driver`: those of the shared driver, session-core-driver.
export * from 'session-core-driver';
