import { Type, type Schema } from 'avsc';
import type { AvroSchemaJson } from '../openedx/exam-attempt.schema';

/** An avsc type for a schema as JSON (named types are resolved within the schema). */
export function avroType(schema: AvroSchemaJson): Type {
  return Type.forSchema(schema as Schema);
}

/**
 * Confluent's wire format, which event-bus-kafka's serializers write for keys and values: magic byte
 * 0, the schema's registry id as a 4-byte big-endian integer, then the Avro binary encoding.
 */
export function confluentFrame(schemaId: number, avro: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, avro]);
}
