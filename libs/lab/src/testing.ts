/**
 * Test kit for suites that need lab hosts without a whole lab: a tiny provisioner serving
 * realistic install configs, test hardware and timings, client keys. Import from
 * `@plinth/lab/testing`; production code never does.
 */
export * from './host/testing/test-hosts';
export * from './host/testing/test-provisioner';
