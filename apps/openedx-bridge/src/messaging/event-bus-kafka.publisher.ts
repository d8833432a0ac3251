import type { Producer } from 'kafkajs';
import type { Type } from 'avsc';
import type { OpenEdxPublisher } from '../application/openedx-publisher.port';
import type { OpenEdxRecord } from '../application/translate-event';
import { eventBusHeaders } from '../openedx/event-bus-headers';
import {
  examAttemptValueSchema,
  keySubject,
  KEY_SCHEMA,
  pythonJsonDumps,
  valueSubject,
  type OpenEdxExamEvent,
} from '../openedx/exam-attempt.schema';
import { avroType, confluentFrame } from '../registry/confluent-avro';
import type { SchemaRegistryClient } from '../registry/schema-registry.client';

export interface EventBusKafkaPublisherOptions {
  /** Makes a connected idempotent producer; a fresh one replaces a producer whose send failed. */
  connectProducer: () => Promise<Producer>;
  registry: SchemaRegistryClient;
  /** The full topic (prefix applied). */
  topic: string;
  /** `ce_source`. */
  source: string;
  /** `sourcehost`. */
  sourcehost: string;
}

/**
 * Writes records as event-bus-kafka's producer does: key and value Avro with Confluent framing, their
 * schemas registered under TopicRecordNameStrategy subjects, its headers. One request per call, in the
 * given order, acks=all (idempotent producer, one request in flight): resolved means every record is
 * on the broker.
 */
export class EventBusKafkaPublisher implements OpenEdxPublisher {
  private readonly keyType = avroType(KEY_SCHEMA);
  private readonly valueTypes = new Map<OpenEdxExamEvent, Type>();
  private producer: Producer | null = null;

  constructor(private readonly o: EventBusKafkaPublisherOptions) {}

  async publish(records: readonly OpenEdxRecord[]): Promise<void> {
    if (records.length === 0) return;
    const keyId = await this.o.registry.idFor(keySubject(this.o.topic), pythonJsonDumps(KEY_SCHEMA));
    const messages = [];
    for (const r of records) {
      const schema = examAttemptValueSchema(r.event);
      const valueId = await this.o.registry.idFor(
        valueSubject(this.o.topic, r.event),
        pythonJsonDumps(schema),
      );
      let type = this.valueTypes.get(r.event);
      if (type === undefined) {
        type = avroType(schema);
        this.valueTypes.set(r.event, type);
      }
      messages.push({
        key: confluentFrame(keyId, this.keyType.toBuffer(r.courseKey)),
        value: confluentFrame(valueId, type.toBuffer({ exam_attempt: r.data })),
        headers: eventBusHeaders({
          event: r.event,
          id: r.ceId,
          source: this.o.source,
          time: r.time,
          sourcehost: this.o.sourcehost,
        }),
      });
    }
    try {
      this.producer ??= await this.o.connectProducer();
      await this.producer.send({ topic: this.o.topic, acks: -1, messages });
    } catch (e) {
      // After a failed send an idempotent producer's sequence numbers may be out of step with the
      // broker: start over with a new producer id. The slice is retried with the same messages.
      await this.close();
      throw e;
    }
  }

  /** Connects now (boot fails fast when the broker does not answer); later sends reconnect as needed. */
  async connect(): Promise<void> {
    this.producer ??= await this.o.connectProducer();
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }
}
