import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Inventory, clusters with revisions, profiles, runs and per-machine state, secrets, API tokens, audit log. */
export class InventoryClustersRuns1763910000000 implements MigrationInterface {
  name = 'InventoryClustersRuns1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE machines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        serial text,
        bmc_address text NOT NULL,
        bmc_credentials_ref text NOT NULL,
        bmc_insecure_tls boolean NOT NULL DEFAULT false,
        bmc_ca_bundle_ref text,
        boot_mac text NOT NULL UNIQUE,
        rack text,
        position integer,
        labels jsonb NOT NULL DEFAULT '{}',
        expected_hardware jsonb,
        params jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE hardware_inventories (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        machine_id uuid NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        inventory jsonb NOT NULL,
        content_hash text NOT NULL,
        discovered_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX hardware_inventories_machine_time ON hardware_inventories (machine_id, discovered_at)`,
    );
    await q.query(`
      CREATE TABLE clusters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        current_revision integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE cluster_revisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cluster_id uuid NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        revision integer NOT NULL,
        spec jsonb NOT NULL,
        spec_hash text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (cluster_id, revision)
      )`);
    await q.query(`
      CREATE TABLE profiles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        params jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cluster_id uuid NOT NULL REFERENCES clusters(id),
        cluster_revision integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('deploy', 'upgrade')),
        status text NOT NULL CHECK (status IN ('pending', 'running', 'paused', 'succeeded', 'failed', 'canceled')),
        workflow_id text NOT NULL UNIQUE,
        temporal_run_id text,
        requested_by text NOT NULL,
        idempotency_key text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX runs_cluster_time ON runs (cluster_id, created_at)`);
    await q.query(`
      CREATE TABLE run_machine_states (
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        machine_id uuid NOT NULL REFERENCES machines(id),
        role text NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        error_code text,
        error_message text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, machine_id, role)
      )`);
    await q.query(`
      CREATE TABLE secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        ciphertext bytea NOT NULL,
        nonce bytea NOT NULL,
        auth_tag bytea NOT NULL,
        key_id text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        details jsonb NOT NULL DEFAULT '{}',
        request_id text
      )`);
    await q.query(`CREATE INDEX audit_log_at ON audit_log (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_log',
      'api_tokens',
      'secrets',
      'run_machine_states',
      'runs',
      'profiles',
      'cluster_revisions',
      'clusters',
      'hardware_inventories',
      'machines',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
