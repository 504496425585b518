import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.database).toEqual({
      url: undefined,
      dataDir: './.bulwark/data',
      schema: 'public',
      embeddedSharedBuffersMb: 16,
    });
    expect(c.auth.enabled).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, /^invalid configuration: PORT /],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a URL with scheme postgres or postgresql/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ BULWARK_EMBEDDED_SHARED_BUFFERS_MB: '1024' }, /BULWARK_EMBEDDED_SHARED_BUFFERS_MB must be an integer/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('never echoes secret-bearing values', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('allows BULWARK_AUTH=disabled only on loopback', () => {
    expect(loadConfig({ BULWARK_AUTH: 'disabled', HOST: '127.0.0.1' }).auth.enabled).toBe(false);
    expect(() => loadConfig({ BULWARK_AUTH: 'disabled', HOST: '0.0.0.0' })).toThrow(/loopback/);
  });

  it('requires issuer and audience with a JWKS URL', () => {
    expect(() => loadConfig({ BULWARK_OIDC_JWKS_URL: 'https://idp.example/jwks' })).toThrow(/ISSUER/);
  });
});
