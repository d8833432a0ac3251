import { Module, ServiceUnavailableException, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Gauge } from 'prom-client';
import { HealthController, healthModule } from '../../libs/platform/src/health/health.controller';
import { Readiness } from '../../libs/platform/src/health/readiness';

/** A Nest app with only the shared HealthController over `readiness` (not listening: the specs call the controller). */
export async function healthApp(readiness: Readiness): Promise<{ app: INestApplication; controller: HealthController }> {
  @Module({ imports: [healthModule()], controllers: [HealthController], providers: [{ provide: Readiness, useValue: readiness }] })
  class HealthTestModule {}
  const app = await NestFactory.create(HealthTestModule, { logger: false, abortOnError: false });
  await app.init();
  return { app, controller: app.get(HealthController) };
}

/** What GET /health/ready answers: the status code and the body (Nest sends a thrown HttpException's response as the body). */
export async function answer(call: () => Promise<unknown>): Promise<{ code: number; body: unknown }> {
  try {
    return { code: 200, body: await call() };
  } catch (e) {
    if (e instanceof ServiceUnavailableException) return { code: e.getStatus(), body: e.getResponse() };
    throw e;
  }
}

/** The `proctoring_ready` gauge as { check: value }. */
export async function readyGauge(gauge: Gauge): Promise<Record<string, number>> {
  const { values } = await gauge.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.check), v.value]));
}
