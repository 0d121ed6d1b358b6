export * from './channels.ts';
export * from './position.ts';
export * from './signal.ts';
export * from './client-messages.ts';
export * from './server-messages.ts';
export * from './error-codes.ts';
export * from './close-codes.ts';
export * from './parse.ts';
