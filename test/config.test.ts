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

  it('needs the secrets that sign webhooks and make TURN credentials, and never prints them', () => {
    const dev = { NODE_ENV: 'development' };
    expect(() => loadConfig({ ...dev, WEBHOOK_URL: 'https://push.example.com/tether' })).toThrow(/WEBHOOK_SECRET: WEBHOOK_URL needs WEBHOOK_SECRET/);
    expect(() => loadConfig({ ...dev, TURN_URLS: 'turn:turn.example.com:3478' })).toThrow(/TURN_SECRET: TURN_URLS needs TURN_SECRET/);
    expect(() => loadConfig({ ...dev, WEBHOOK_URL: 'not a url', WEBHOOK_SECRET: 'tiny' })).toThrow(/WEBHOOK_URL: [\s\S]*WEBHOOK_SECRET: /);
    try {
      loadConfig({ ...dev, WEBHOOK_SECRET: 'tiny', TURN_SECRET: 'tinier' });
    } catch (error) {
      expect((error as Error).message).not.toMatch(/tiny|tinier/);
    }
    expect(loadConfig({ ...dev, TURN_URLS: 'turn:a:3478, turns:a:5349', TURN_SECRET: 's'.repeat(16) })).toMatchObject({ TURN_URLS: ['turn:a:3478', 'turns:a:5349'], TURN_TTL_S: 3600 });
    expect(loadConfig(dev)).toMatchObject({ CALL_RING_TIMEOUT_MS: 45_000, CALL_ESCALATION_STEP_MS: 20_000, DATABASE_URL: undefined, WEBHOOK_URL: undefined });
  });
});
