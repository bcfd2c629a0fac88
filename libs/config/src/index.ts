import 'reflect-metadata';

export * from './plinth-config';
export * from './version';
