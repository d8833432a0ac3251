import { COMMAND_TYPES } from '../../../../../libs/contracts/src';
import { COMMAND_HANDLERS, targetOf } from './command-handlers';
import { command } from '../../../../../test/support/attempt-handlers.fixture';

describe('the command handler map', () => {
  it('has exactly one handler per command type', () => {
    expect(Object.keys(COMMAND_HANDLERS).sort()).toEqual([...COMMAND_TYPES].sort());
  });

  it('dispatches by type', () => {
    expect(targetOf(command('CreateAttempt', { examId: 'e1', userId: 'u1', user: { username: 'n', email: 'n@x.test' }, takingAsProctored: true }))).toEqual({
      kind: 'learner',
      userId: 'u1',
      examId: 'e1',
      allowances: true,
    });
  });
});
