import { CreateInstance1763900000000 } from './1763900000000-create-instance';

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS = [CreateInstance1763900000000];
