import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { breakingChanges, describeContract, type ContractCatalogue } from './compatibility';

const baseline = JSON.parse(readFileSync(join(__dirname, 'v1-baseline.json'), 'utf8')) as ContractCatalogue;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('v1 compatibility', () => {
  it('the current contract keeps every field of the committed v1 baseline', () => {
    expect(breakingChanges(baseline, describeContract())).toEqual([]);
  });

  it('the baseline covers every message of the contract', () => {
    expect(Object.keys(baseline).sort()).toEqual(Object.keys(describeContract()).sort());
  });

  describe('the rules themselves', () => {
    const current = describeContract();

    it('allow adding an optional field to a command and any field to an event', () => {
      const next = clone(current);
      next.CreateAttempt.fields['data.locale'] = 'string';
      next.AttemptStatusChanged.fields['data.reviewUrl'] = 'string';
      next.AttemptStatusChanged.required.push('data.reviewUrl');
      expect(breakingChanges(current, next)).toEqual([]);
    });

    it('allow a new optional object with required members in a command', () => {
      const next = clone(current);
      next.CreateAttempt.fields['data.accommodation'] = 'object';
      next.CreateAttempt.fields['data.accommodation.kind'] = 'string';
      next.CreateAttempt.required.push('data.accommodation.kind');
      expect(breakingChanges(current, next)).toEqual([]);
    });

    it('refuse removing or renaming a field', () => {
      const next = clone(current);
      delete next.AttemptStatusChanged.fields['data.statusAlias'];
      next.AttemptStatusChanged.required = next.AttemptStatusChanged.required.filter((p) => p !== 'data.statusAlias');
      expect(breakingChanges(current, next)).toEqual(['AttemptStatusChanged: field data.statusAlias removed or renamed']);
    });

    it('refuse removing a message', () => {
      const next = clone(current);
      delete next.CommandRejected;
      expect(breakingChanges(current, next)).toEqual(['CommandRejected: message removed']);
    });

    it('refuse changing a type', () => {
      const next = clone(current);
      next.CreateAttempt.fields['data.additionalTimeMins'] = 'string|null';
      expect(breakingChanges(current, next)).toEqual([
        'CreateAttempt: field data.additionalTimeMins changed type from integer|null to string|null',
      ]);
    });

    it('refuse making an optional field required', () => {
      const next = clone(current);
      next.RegisterExam.required.push('data.courseName');
      expect(breakingChanges(current, next)).toEqual(['RegisterExam: optional field data.courseName became required']);
    });

    it('refuse a new required command field', () => {
      const next = clone(current);
      next.CreateAttempt.fields['data.locale'] = 'string';
      next.CreateAttempt.required.push('data.locale');
      expect(breakingChanges(current, next)).toEqual([
        'CreateAttempt: new command field data.locale is required (old publishers do not send it)',
      ]);
    });

    it('refuse making a required event field optional', () => {
      const next = clone(current);
      next.AttemptCreated.required = next.AttemptCreated.required.filter((p) => p !== 'data.allowedTimeLimitMins');
      expect(breakingChanges(current, next)).toEqual(['AttemptCreated: required event field data.allowedTimeLimitMins became optional']);
    });

    it('refuse making a required field of the notifier dead letter optional', () => {
      const next = clone(current);
      next.EmailDeliveryFailed.required = next.EmailDeliveryFailed.required.filter((p) => p !== 'correlationid');
      expect(breakingChanges(current, next)).toEqual(['EmailDeliveryFailed: required dead-letter field correlationid became optional']);
    });
  });
});
