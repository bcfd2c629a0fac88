import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Static address allocations from cluster pools, and pinned SSH host keys per machine. */
export class NetworkSsh1763930000000 implements MigrationInterface {
  name = 'NetworkSsh1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ip_allocations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        cluster_id uuid NOT NULL,
        pool text NOT NULL,
        address text NOT NULL,
        machine_id uuid NOT NULL,
        interface text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ip_allocations_cluster_id_fkey FOREIGN KEY (cluster_id) REFERENCES clusters(id) ON DELETE CASCADE,
        CONSTRAINT ip_allocations_machine_id_fkey FOREIGN KEY (machine_id) REFERENCES machines(id) ON DELETE CASCADE,
        CONSTRAINT ip_allocations_cluster_id_pool_address_key UNIQUE (cluster_id, pool, address),
        CONSTRAINT ip_allocations_cluster_id_pool_machine_id_interface_key UNIQUE (cluster_id, pool, machine_id, interface)
      )`);
    await q.query(`
      CREATE TABLE ssh_host_keys (
        machine_id uuid PRIMARY KEY,
        sha256 text NOT NULL,
        expected_sha256 text,
        pinned_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ssh_host_keys_machine_id_fkey FOREIGN KEY (machine_id) REFERENCES machines(id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ssh_host_keys`);
    await q.query(`DROP TABLE ip_allocations`);
  }
}
