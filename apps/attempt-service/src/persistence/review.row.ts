import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A review as the batch holds it (SPEC §8.1); the video URL in clear only in memory. */
export interface StoredReview {
  attemptId: string;
  attemptCode: string;
  userId: string;
  reviewId: string;
  provider: string | null;
  reviewStatus: string;
  providerReviewStatus: string;
  reviewedBy: string | null;
  comments: unknown[] | null;
  rawData: Record<string, unknown> | null;
  /** the stored (encrypted) value of a review loaded from the database, kept as it is when it moves to history. */
  videoUrlEncrypted: string | null;
  /** a new review's video URL, encrypted when written. */
  videoUrl: string | null;
  archived: boolean;
  commandId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A review replaced by a later one: it moves to `attempts.review_history`. */
export interface ReplacedReview {
  review: StoredReview;
  replacedAt: Date;
  /** the command that replaced it. */
  replacedBy: string;
}

export interface ReviewRow {
  attempt_id: string;
  attempt_code: string;
  user_id: string;
  review_id: string;
  provider: string | null;
  review_status: string;
  provider_review_status: string;
  reviewed_by: string | null;
  comments: unknown[] | null;
  raw_data: Record<string, unknown> | null;
  video_url_encrypted: string | null;
  archived: boolean;
  command_id: string;
  created_at: string | Date;
  updated_at: string | Date;
}

export const REVIEW_COLUMNS = `attempt_id, attempt_code, user_id, review_id, provider, review_status, provider_review_status,
        reviewed_by, comments, raw_data, video_url_encrypted, archived, command_id, created_at, updated_at`;

export const REVIEW_RECORDSET = `attempt_id uuid, attempt_code text, user_id text, review_id text, provider text,
        review_status text, provider_review_status text, reviewed_by text, comments jsonb, raw_data jsonb,
        video_url_encrypted text, archived boolean, command_id text, created_at timestamptz, updated_at timestamptz`;

export function reviewFromRow(r: ReviewRow): StoredReview {
  return {
    attemptId: r.attempt_id,
    attemptCode: r.attempt_code,
    userId: r.user_id,
    reviewId: r.review_id,
    provider: r.provider,
    reviewStatus: r.review_status,
    providerReviewStatus: r.provider_review_status,
    reviewedBy: r.reviewed_by,
    comments: r.comments,
    rawData: r.raw_data,
    videoUrlEncrypted: r.video_url_encrypted,
    videoUrl: null,
    archived: r.archived,
    commandId: r.command_id,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** The record written for a review; a new video URL is encrypted here (dropped without a key: never stored in clear). */
export function reviewRecord(r: StoredReview, cipher: VideoUrlCipher | null): ReviewRow {
  const video = r.videoUrl !== null ? (cipher ? cipher.encrypt(r.videoUrl) : null) : r.videoUrlEncrypted;
  return {
    attempt_id: r.attemptId,
    attempt_code: r.attemptCode,
    user_id: r.userId,
    review_id: r.reviewId,
    provider: r.provider,
    review_status: r.reviewStatus,
    provider_review_status: r.providerReviewStatus,
    reviewed_by: r.reviewedBy,
    comments: r.comments,
    raw_data: r.rawData,
    video_url_encrypted: video,
    archived: r.archived,
    command_id: r.commandId,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/**
 * AES-256-GCM of a review's video URL at rest (`REVIEW_VIDEO_URL_KEY`), as `v1.<iv>.<tag>.<ciphertext>`
 * in base64url; only the read API and `attempts show` decrypt it.
 */
export class VideoUrlCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the video URL key must be 32 bytes');
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** The URL, or null when the value was not encrypted under this key (or is damaged). */
  decrypt(stored: string): string | null {
    const [v, iv, tag, data] = stored.split('.');
    if (v !== 'v1' || iv === undefined || tag === undefined || data === undefined) return null;
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(data, 'base64url')), d.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
