import 'reflect-metadata';

export * from './plinth-config';
export * from './version';
export * from './parent-watch';
