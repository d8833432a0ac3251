import { BadRequestException, Controller, Get, Header, Inject, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ID_PATTERN, UUID_PATTERN } from '../../../../libs/contracts/src';
import { AttemptReadRepository, type AttemptView } from '../persistence/attempt-read.repository';
import { ReadApiAuthGuard } from './read-api-auth.guard';

const UUID = new RegExp(UUID_PATTERN);
const ID = new RegExp(ID_PATTERN, 'u');

/**
 * Read API: an attempt with its transition history and the archived attempts of the same exam and
 * learner. Reading never changes state (no timeout check on read: the sweeper does that). Every
 * route needs a Bearer token with the read scope (ReadApiAuthGuard); answers carry learner PII and
 * are never cached.
 */
@Controller('attempts')
@UseGuards(ReadApiAuthGuard)
export class AttemptsController {
  constructor(@Inject(AttemptReadRepository) private readonly attempts: AttemptReadRepository) {}

  @Get(':attemptId')
  @Header('Cache-Control', 'no-store')
  async byId(@Param('attemptId') attemptId: string): Promise<AttemptView> {
    if (!UUID.test(attemptId)) throw new BadRequestException('attemptId must be a UUID');
    const view = await this.attempts.byId(attemptId);
    if (!view) throw new NotFoundException(`no attempt with id ${attemptId.toLowerCase()}`);
    return view;
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  async byExamAndUser(@Query('examId') examId: unknown, @Query('userId') userId: unknown): Promise<AttemptView> {
    const problems: string[] = [];
    if (!isId(examId)) problems.push('examId is required: 1-255 characters, no control characters');
    if (!isId(userId)) problems.push('userId is required: 1-255 characters, no control characters');
    if (problems.length > 0 || !isId(examId) || !isId(userId)) throw new BadRequestException(problems);
    const view = await this.attempts.byExamAndUser(examId, userId);
    if (!view) throw new NotFoundException('no attempt for this examId and userId');
    return view;
  }
}

/** A single query value that is a valid exam or user id (a repeated parameter arrives as an array). */
function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}
