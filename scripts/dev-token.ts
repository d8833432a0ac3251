/**
 * Local keys and tokens for the attempt-service's read API (never for production: a real identity
 * provider issues the tokens there).
 *
 *   node dist/scripts/dev-token.js init   create var/read-api/{signing-key.jwk.json,jwks.json} once
 *                                         (scripts/run-local.sh runs it and points READ_API_JWKS_FILE at the JWKS)
 *   npm run --silent dev-token [-- --ttl SECONDS] [-- --scope "…"]
 *                                         print a token signed with the local key (default: 1 hour,
 *                                         scope proctoring:attempts:read)
 *
 * Issuer and audience: READ_API_ISSUER / READ_API_AUDIENCE when set, else the local defaults that
 * run-local.sh also gives the service. READ_API_KEYS_DIR moves the key directory.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

const LOCAL_ISSUER = 'urn:proctoring:local-dev';
const LOCAL_AUDIENCE = 'urn:proctoring:attempt-service';
const ALG = 'ES256';
const dir = process.env.READ_API_KEYS_DIR ?? join('var', 'read-api');
const privateFile = join(dir, 'signing-key.jwk.json');
const jwksFile = join(dir, 'jwks.json');

async function init(): Promise<void> {
  if (existsSync(privateFile) && existsSync(jwksFile)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  writeFileSync(privateFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG }), { mode: 0o600 });
  chmodSync(privateFile, 0o600);
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' }] }, null, 2));
  process.stderr.write(`[dev-token] created a local signing key in ${privateFile} and its JWKS in ${jwksFile}\n`);
}

async function token(args: string[]): Promise<void> {
  if (!existsSync(privateFile)) throw new Error(`no local signing key in ${privateFile}: run \`npm start\` (or node dist/scripts/dev-token.js init) first`);
  const jwk = JSON.parse(readFileSync(privateFile, 'utf8')) as JWK & { kid: string };
  const ttl = Number(option(args, '--ttl') ?? '3600');
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('--ttl must be 1-86400 seconds');
  const jwt = await new SignJWT({ scope: option(args, '--scope') ?? 'proctoring:attempts:read' })
    .setProtectedHeader({ alg: ALG, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(process.env.READ_API_ISSUER || LOCAL_ISSUER)
    .setAudience(process.env.READ_API_AUDIENCE?.split(',')[0]?.trim() || LOCAL_AUDIENCE)
    .setSubject('local-developer')
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(await importJWK(jwk, ALG));
  process.stdout.write(`${jwt}\n`);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const [command, ...rest] = process.argv.slice(2);
(command === 'init' ? init() : token(command === 'token' ? rest : process.argv.slice(2))).catch((e: unknown) => {
  process.stderr.write(`dev-token: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
