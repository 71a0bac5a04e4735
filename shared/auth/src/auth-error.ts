import { ReputeError } from '@repute/http';

/** An authentication or authorisation failure (`REPUTE_AUTH_<REASON>`). */
export class AuthError extends ReputeError {
  constructor(code: string, status: number, title: string, detail: string, headers: Record<string, string> = {}, retriable = false) {
    super({ code, status, title, detail, headers, retriable });
    this.name = 'AuthError';
  }
}
