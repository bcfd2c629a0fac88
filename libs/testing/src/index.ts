/**
 * Test helpers for every project. The database helpers live beside the schema in libs/db
 * (libs/db's own tests use them without a dependency cycle) and are re-exported here.
 */
export { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
