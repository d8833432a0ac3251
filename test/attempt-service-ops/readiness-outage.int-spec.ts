import { expectEventually } from '../support/expect-eventually';
import { createTestTopics, type TestTopics } from '../support/kafka-fixture';
import { createReadApiTestKeys, type ReadApiTestKeys } from '../support/read-api-keys';
import { getJson, startOpsService, ThrowawayPostgres, type OpsService } from './ops.support';

/**
 * Readiness follows the database. The outage is staged on a throwaway PostgreSQL cluster started for
 * this suite (never the shared server): stop it, readiness turns 503 naming the database; start it
 * again, readiness returns to 200 without restarting the service.
 */
describe('attempt-service: readiness while its database is down', () => {
  let topics: TestTopics;
  let pg: ThrowawayPostgres;
  let service: OpsService | null = null;
  let keys: ReadApiTestKeys;
  let token: string;

  beforeAll(async () => {
    topics = await createTestTopics('ops-ready');
    pg = await ThrowawayPostgres.create();
    keys = await createReadApiTestKeys();
    token = await keys.token();
  });

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    await pg?.destroy();
    keys?.dispose();
  });

  it('answers 503 naming the database while it is down, and 200 again once it is back', async () => {
    service = await startOpsService(topics, { ...keys.env, DATABASE_URL: pg.url, HEALTH_DB_TIMEOUT_MS: '500', HEALTH_KAFKA_CACHE_MS: '0' }, { migrate: true });
    const url = `${service.url}/health/ready`;
    await expectEventually(async () => expect((await getJson(url)).status).toBe(200), 30_000, 200);

    await pg.stop();
    const down = await expectEventually(async () => {
      const r = await getJson(url);
      expect(r.status).toBe(503);
      return r;
    }, 30_000, 200);
    // terminus's shape: the database down (why, never the driver's message), the outbox unknown but not failing
    expect(down.body).toEqual({
      status: 'error',
      info: expect.any(Object),
      error: { database: { status: 'down', message: expect.stringMatching(/^(no answer within 500 ms|the query failed( \([A-Z0-9_]+\))?)$/) } },
      details: {
        database: { status: 'down', message: expect.any(String) },
        consumer: { status: 'up', state: 'joined' },
        kafka: { status: 'up' },
        outbox: { status: 'up', state: 'unknown' },
      },
    });
    // Liveness is about the process, not its dependencies.
    expect((await getJson(`${service.url}/health/live`)).status).toBe(200);
    // The read API answers with an error, not a hang.
    const read = await getJson(`${service.url}/attempts/00000000-0000-4000-8000-000000000000`, token);
    expect(read.status).toBeGreaterThanOrEqual(500);

    await pg.start();
    const up = await expectEventually(async () => {
      const r = await getJson(url);
      expect(r.status).toBe(200);
      return r;
    }, 30_000, 200);
    expect(up.body).toMatchObject({ status: 'ok', error: {}, details: { database: { status: 'up' }, outbox: { status: 'up' } } });
    expect((await getJson(`${service.url}/attempts/00000000-0000-4000-8000-000000000000`, token)).status).toBe(404);
  });
});
