import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config from the environment', () => {
  it('has safe defaults: production, which needs a key', () => {
    expect(() => loadConfig({})).toThrow(/JWT_SECRET: production needs/);
    const c = loadConfig({ JWT_SECRET: 'k'.repeat(32) });
    expect(c).toMatchObject({ PORT: 8080, MAX_FRAME_BYTES: 65_536, BUS_TOPOLOGY: 'routed', NODE_ENV: 'production', ALLOWED_ORIGINS: [] });
    expect(loadConfig({ NODE_ENV: 'development' }).JWT_SECRET).toBeUndefined();
  });

  it('names every bad variable in one error', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', BUS_TOPOLOGY: 'mesh', JWT_SECRET: 'short', MAX_FRAME_BYTES: '-1' });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const name of ['PORT', 'BUS_TOPOLOGY', 'JWT_SECRET', 'MAX_FRAME_BYTES']) expect(message).toMatch(new RegExp(`^  ${name}: `, 'm'));
    expect(message).not.toContain('short');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ NODE_ENV: 'development', PORT: '', REDIS_URL: '' })).toMatchObject({ PORT: 8080, REDIS_URL: undefined });
  });
});
