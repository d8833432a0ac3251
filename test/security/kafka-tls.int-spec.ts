import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '../../libs/contracts/src/topics';
import { localSaslEnabled } from '../../scripts/kafka-credentials';
import { testSasl } from '../support/test-env';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A throwaway CA and a broker certificate for 127.0.0.1 signed by it (openssl), as PEM files. */
function makeCertificates(dir: string, name: string): { ca: string; keystore: string } {
  const f = (x: string) => join(dir, `${name}-${x}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', `/CN=${name} test CA`);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('broker.key'), '-out', f('broker.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('broker.pem'), '-days', '1', '-extfile', f('ext'));
  ssl('pkcs8', '-topk8', '-nocrypt', '-in', f('broker.key'), '-out', f('broker.p8'));
  // Kafka's PEM keystore: the PKCS#8 private key, then the certificate chain.
  writeFileSync(f('keystore.pem'), [f('broker.p8'), f('broker.pem'), f('ca.pem')].map((p) => readFileSync(p, 'utf8')).join(''));
  return { ca: f('ca.pem'), keystore: f('keystore.pem') };
}

/**
 * SASL_SSL (SPEC §8.4, production's listener): a broker of this suite's own with a SASL_SSL listener whose
 * certificate comes from a CA the test makes, reached by kafkajs with certificate verification on.
 */
(localSaslEnabled() ? describe : describe.skip)('Kafka over TLS with SCRAM (SASL_SSL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proctoring-tls-'));
  let env: NodeJS.ProcessEnv;
  let tlsBrokers: string[];
  let ca: string;
  let otherCa: string;

  beforeAll(async () => {
    const certs = makeCertificates(dir, 'kafka');
    ca = readFileSync(certs.ca, 'utf8');
    otherCa = readFileSync(makeCertificates(dir, 'other').ca, 'utf8');
    const [port, controller, tlsPort] = [await freePort(), await freePort(), await freePort()];
    tlsBrokers = [`127.0.0.1:${tlsPort}`];
    env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_STATE_DIR: join(dir, 'broker'),
      KAFKA_SSL_PORT: String(tlsPort),
      KAFKA_SSL_KEYSTORE_PEM: certs.keystore,
    };
    await run('bash', ['scripts/kafka.sh', 'start'], { cwd: ROOT, env, timeout: 150_000 });
  }, 180_000);

  afterAll(async () => {
    await run('bash', ['scripts/kafka.sh', 'stop'], { cwd: ROOT, env, timeout: 60_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  const client = (principal: string, trusted: string) =>
    new Kafka({
      clientId: `tls-test-${principal}`,
      brokers: tlsBrokers,
      ssl: { ca: [trusted], rejectUnauthorized: true },
      sasl: testSasl(principal),
      connectionTimeout: 5000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });

  it('a verified TLS connection authenticates with SCRAM and the ACLs apply', async () => {
    const admin = client('admin', ca).admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      expect(brokers.map((b) => `${b.host}:${b.port}`)).toEqual(tlsBrokers);
    } finally {
      await admin.disconnect();
    }
    const lms = client('lms', ca).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await lms.connect();
    try {
      await lms.send({ topic: TOPICS.commands, acks: -1, messages: [{ key: 'k', value: '{}' }] });
      await expect(lms.send({ topic: TOPICS.attemptEvents, acks: -1, messages: [{ key: 'k', value: '{}' }] })).rejects.toThrow(
        /TOPIC_AUTHORIZATION_FAILED|not authorized/i,
      );
    } finally {
      await lms.disconnect();
    }
  });

  it('a broker certificate from another CA is refused by the client', async () => {
    const admin = client('admin', otherCa).admin();
    await expect(admin.connect()).rejects.toThrow();
    await admin.disconnect().catch(() => undefined);
  });
});
