import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The installation record: one row identifying this Plinth database, shown by /healthz. */
export class CreateInstance1763900000000 implements MigrationInterface {
  name = 'CreateInstance1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE plinth_instance (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO plinth_instance DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE plinth_instance`);
  }
}
