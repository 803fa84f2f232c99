import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { redactRedisUrl, redactSecretIn } from '../../src/redis/redis-url.js';

const load = (env: Record<string, string>, flags: Record<string, unknown> = {}) => loadConfig({ env, flags: { project_root: '/tmp', ...flags }, cwd: '/tmp' });

describe('config: events.backend and redis.url', () => {
  it('stays embedded without a Redis URL', () => {
    const c = load({});
    expect(c.events.backend ?? 'embedded').to.equal('embedded');
    expect(c.redis.url).to.equal(undefined);
  });

  it('takes the URL from CCO_REDIS_URL, a flag over it, and a URL alone selects Redis', () => {
    expect(load({ CCO_REDIS_URL: 'redis://127.0.0.1:6390' }).redis).to.include({ url: 'redis://127.0.0.1:6390', heartbeat_ms: 2000, forward_timeout_ms: 5000 });
    const c = load({ CCO_REDIS_URL: 'redis://a:1' }, { redis: { url: 'redis://b:2' } });
    expect(c.redis.url).to.equal('redis://b:2');
    expect(c.events.backend).to.equal('redis');
    expect(load({ CCO_REDIS_URL: 'redis://a:1' }, { events: { backend: 'embedded' } }).events.backend).to.equal('embedded');
  });

  it('refuses the redis backend without a URL, and a URL that is not redis:// without echoing it', () => {
    expect(() => load({}, { events: { backend: 'redis' } })).to.throw(/--redis-url, CCO_REDIS_URL or redis.url/);
    let message = '';
    try {
      load({ CCO_REDIS_URL: 'http://user:hunter2@host' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/redis\.url/);
    expect(message).not.to.include('hunter2');
  });

  it('redacts credentials from URLs and from texts that quote them', () => {
    expect(redactRedisUrl('redis://user:s3cret@host:6379/2')).to.equal('redis://user:***@host:6379/2');
    expect(redactRedisUrl('redis://:s3cret@host:6379')).to.equal('redis://:***@host:6379');
    expect(redactRedisUrl('redis://host:6379')).to.equal('redis://host:6379');
    expect(redactSecretIn('WRONGPASS s3cret at redis://:s3cret@h', 'redis://:s3cret@h')).to.equal('WRONGPASS *** at redis://:***@h');
  });
});
