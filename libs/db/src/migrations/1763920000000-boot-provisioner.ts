import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Rendered install configs with their one-time boot tokens (hashed) and installer callback reports. */
export class BootProvisioner1763920000000 implements MigrationInterface {
  name = 'BootProvisioner1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE boot_configs (
        id uuid PRIMARY KEY,
        run_id uuid NOT NULL,
        machine_id uuid NOT NULL,
        installer text NOT NULL,
        os_family text NOT NULL,
        os_version text NOT NULL,
        input_hash text NOT NULL,
        content_hash text NOT NULL,
        ciphertext bytea NOT NULL,
        nonce bytea NOT NULL,
        auth_tag bytea NOT NULL,
        key_id text NOT NULL,
        config_token_hash text NOT NULL UNIQUE,
        callback_token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        callback_used_at timestamptz,
        callback_report jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT boot_configs_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE,
        CONSTRAINT boot_configs_machine_id_fkey FOREIGN KEY (machine_id) REFERENCES machines(id) ON DELETE CASCADE,
        CONSTRAINT boot_configs_run_id_machine_id_key UNIQUE (run_id, machine_id),
        CONSTRAINT boot_configs_installer_check CHECK (installer IN ('autoinstall', 'preseed', 'kickstart'))
      )`);
    await q.query(`CREATE INDEX boot_configs_machine_time ON boot_configs (machine_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE boot_configs`);
  }
}
