/**
 * The few calls of the Confluent Schema Registry API the bridge makes (any registry that speaks it:
 * Confluent's, Apicurio's `/apis/ccompat/v7`, …): register a schema under a subject — which returns the
 * existing id when the subject already has that schema, as event-bus-kafka's `auto.register.schemas`
 * does — and nothing else. Compatibility levels are the operator's (docs/openedx.md): the bridge never
 * changes them. Ids are cached per subject for the life of the process.
 */
export interface SchemaRegistryOptions {
  /** Base URL of the Confluent API, e.g. `https://registry.example.com` or `http://127.0.0.1:18081/apis/ccompat/v7`. */
  url: string;
  auth?: { username: string; password: string };
  timeoutMs?: number;
}

export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
}

export class SchemaRegistryClient {
  private readonly ids = new Map<string, Promise<number>>();

  constructor(private readonly options: SchemaRegistryOptions) {}

  /** The id of `schemaText` under `subject`, registering it on first use. A failure is not cached. */
  idFor(subject: string, schemaText: string): Promise<number> {
    const cacheKey = `${subject}\u0000${schemaText}`;
    let id = this.ids.get(cacheKey);
    if (id === undefined) {
      id = this.register(subject, schemaText);
      this.ids.set(cacheKey, id);
      id.catch(() => this.ids.delete(cacheKey));
    }
    return id;
  }

  private async register(subject: string, schemaText: string): Promise<number> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/vnd.schemaregistry.v1+json',
      Accept: 'application/vnd.schemaregistry.v1+json, application/json',
    };
    if (this.options.auth) {
      headers.Authorization = `Basic ${Buffer.from(`${this.options.auth.username}:${this.options.auth.password}`).toString('base64')}`;
    }
    const url = `${this.options.url}/subjects/${encodeURIComponent(subject)}/versions`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ schema: schemaText }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new SchemaRegistryError(`schema registry unreachable (${e instanceof Error ? e.name : 'error'})`);
    }
    const text = await response.text();
    if (!response.ok) {
      // 409: the schema breaks the subject's compatibility level; 401/403: credentials. Never echo the schema or the URL's credentials.
      throw new SchemaRegistryError(
        `schema registry refused subject ${subject}: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    const body = JSON.parse(text) as { id?: unknown };
    if (typeof body.id !== 'number' || !Number.isInteger(body.id))
      throw new SchemaRegistryError('schema registry answered without an id');
    return body.id;
  }
}
