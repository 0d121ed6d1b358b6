import { createHmac } from 'node:crypto';
import type { TurnCredentials } from '../protocol/index.ts';

export interface TurnOptions {
  /** `turn:host:3478`, `turns:host:5349?transport=tcp`, ... handed to clients as they are */
  urls: readonly string[];
  /** coturn's `static-auth-secret` */
  secret: string;
  /** how long credentials work, seconds */
  ttlSeconds: number;
}

/**
 * Time-limited TURN credentials in coturn's REST API scheme (`use-auth-secret`): the username is
 * `<expiry, unix seconds>:<user id>` and the credential base64(HMAC-SHA1(secret, username)). The
 * TURN server checks both with the same secret and refuses them after the expiry; Tether keeps
 * nothing. Handed out in `welcome.turn` and by the `turn` request.
 */
export class TurnIssuer {
  private readonly options: TurnOptions;

  constructor(options: TurnOptions) {
    this.options = options;
  }

  credentials(userId: string, now: number): TurnCredentials {
    const expiry = Math.floor(now / 1000) + this.options.ttlSeconds;
    const username = `${expiry}:${userId}`;
    return {
      urls: [...this.options.urls],
      username,
      credential: createHmac('sha1', this.options.secret).update(username).digest('base64'),
      ttlSeconds: this.options.ttlSeconds,
      expiresAt: expiry * 1000,
    };
  }
}
