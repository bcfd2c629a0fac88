import 'reflect-metadata';

export * from './plinth-config';
