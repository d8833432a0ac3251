import { randomBytes } from 'node:crypto';
import { VideoUrlCipher } from './review.row';

describe('VideoUrlCipher (a review video URL at rest, SPEC §8.1)', () => {
  const cipher = new VideoUrlCipher(randomBytes(32));

  it('round-trips, never storing the URL in clear, with a fresh IV each time', () => {
    const url = 'https://videos.example.com/sessions/8812?token=abc';
    const a = cipher.encrypt(url);
    const b = cipher.encrypt(url);
    expect(a).not.toContain('videos.example.com');
    expect(a).toMatch(/^v1\./);
    expect(a).not.toBe(b);
    expect(cipher.decrypt(a)).toBe(url);
  });

  it('gives null for a value under another key, tampered with, or not ours', () => {
    const stored = cipher.encrypt('https://v.example/1');
    expect(new VideoUrlCipher(randomBytes(32)).decrypt(stored)).toBeNull();
    const parts = stored.split('.');
    parts[3] = Buffer.from('https://v.example/2').toString('base64url');
    expect(cipher.decrypt(parts.join('.'))).toBeNull();
    expect(cipher.decrypt('https://v.example/1')).toBeNull();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new VideoUrlCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
