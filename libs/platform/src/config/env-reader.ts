/**
 * Reads typed settings from environment variables and collects every problem before failing, so a
 * misconfigured service reports all bad variables at once. Messages name the variable, never its value.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    return raw;
  }

  optionalString(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw.trim())) {
      this.problems.push(`${name} must be an integer`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) {
      this.problems.push(`${name} must be between ${min} and ${max}`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name} must be true or false`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) this.problems.push(`${name} must list at least one value`);
    return items.length > 0 ? items : fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const value = this.string(name, fallback);
    try {
      const u = new URL(value);
      if (!protocols.includes(u.protocol)) this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
    } catch {
      this.problems.push(`${name} must be a valid URL`);
    }
    return value;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one error listing every invalid variable. */
  done(service: string): void {
    if (this.problems.length > 0) {
      throw new ConfigError(`${service}: invalid configuration:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
