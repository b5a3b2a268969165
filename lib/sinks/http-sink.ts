import { validateBaseUrl } from '../api/base-url';
import { scrubText } from '../core/redact';
import { type HttpAnswer, type HttpCall, HttpTransport, secretForms } from '../api/http-transport';
import { type AgilityPatError, ApiError, isAgilityPatError } from '../core/errors';
import { DeliveryFailure } from './delivery-failure';

/**
 * What the GitHub and Vault sinks share: the package's HTTP layer (timeouts, bounded retries of idempotent calls,
 * redacted errors), the credential read from its variable at delivery, and failures in the sinks' terms.
 */

/** Longest excerpt of a vendor's error body quoted in a message. */
const MAX_VENDOR_DETAIL = 200;

/** Options every HTTP sink takes. */
export interface HttpSinkOptions {
  /** Where the sink's credential variable is read. */
  readonly env: NodeJS.ProcessEnv;
  /** Milliseconds allowed for each attempt. @default 30000 */
  readonly timeoutMs?: number;
}

/** One vendor API as a sink sees it. */
export class SinkHttp {
  readonly #transport: HttpTransport;
  readonly #headers: Record<string, string>;
  readonly #secrets: string[];

  /**
   * @param service the vendor, for messages (`GitHub`, `Vault`).
   * @param baseUrl checked like the Agility base URL: https, or http on loopback; no credentials or query.
   * @param headers sent with every request (the credential among them).
   * @param secrets values no message may hold: the credential, the secret being delivered.
   * @throws DeliveryFailure for an unusable base URL.
   */
  constructor(
    readonly service: string,
    baseUrl: string,
    headers: Record<string, string>,
    secrets: readonly string[],
    options: Pick<HttpSinkOptions, 'timeoutMs'> = {},
  ) {
    let url: string;
    try {
      url = validateBaseUrl(baseUrl, `the ${service} URL`);
    } catch (e) {
      throw new DeliveryFailure((e as Error).message, `fix the sink's ${service} URL`, {});
    }
    this.#transport = new HttpTransport({ baseUrl: url, timeoutMs: options.timeoutMs });
    this.#headers = { 'user-agent': 'agility-pat-cdktf', ...headers };
    this.#secrets = secretForms(secrets);
  }

  /** Adds values no message may hold (a previous value read from the vendor). */
  addSecrets(values: Iterable<string>): void {
    this.#secrets.push(...secretForms(values));
  }

  /**
   * Sends a JSON request. Resolves with any 2xx answer, or with the answer whose status is in `accept` (a 404 that
   * means "nothing there yet"); anything else is a DeliveryFailure naming the call, the status and the vendor's
   * words, redacted.
   */
  async call(
    method: HttpCall['method'],
    route: string,
    body: unknown,
    { retryable, accept = [] }: { retryable: boolean; accept?: readonly number[] },
  ): Promise<HttpAnswer> {
    const headers = { ...this.#headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const call: HttpCall = {
      method,
      route,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      retryable,
      secrets: this.#secrets,
    };
    try {
      return await this.#transport.send(call, (answer) => {
        if (accept.includes(answer.status)) return new AcceptedAnswer(answer);
        return new ApiError(this.#describe(call, answer), this.#transport.details(call, answer.status));
      });
    } catch (e) {
      if (e instanceof AcceptedAnswer) return e.answer;
      if (!isAgilityPatError(e)) throw e;
      throw this.#failure(e);
    }
  }

  /** The DeliveryFailure for an answer `call` accepted that the caller then found unusable (as `call` would have failed). */
  failure(method: HttpCall['method'], route: string, answer: HttpAnswer): DeliveryFailure {
    const call: HttpCall = { method, route, headers: {}, retryable: false, secrets: this.#secrets };
    return this.#failure(new ApiError(this.#describe(call, answer), this.#transport.details(call, answer.status)));
  }

  #failure(e: AgilityPatError): DeliveryFailure {
    const status = typeof e.details.status === 'number' ? e.details.status : undefined;
    return new DeliveryFailure(e.message, this.#fix(status), status === undefined ? { code: e.code } : { status }, { cause: e });
  }

  #describe(call: HttpCall, answer: HttpAnswer): string {
    const words = vendorWords(answer);
    const detail = words ? scrubText(words, this.#secrets).replace(/\s+/g, ' ').trim().slice(0, MAX_VENDOR_DETAIL) : '';
    return `${this.service} answered ${call.method} ${this.#transport.path(call)} with HTTP ${answer.status}${detail ? ` ("${detail}")` : ''}`;
  }

  #fix(status: number | undefined): string {
    switch (status) {
      case 401:
        return `the ${this.service} token is missing, wrong or expired: put a valid one in the sink's token variable`;
      case 403:
        return `the ${this.service} token lacks permission for this call: grant it (see docs/sinks.md), then deploy again`;
      case 404:
        return `check the sink's ${this.service} names and URL (and that the token can see them), then deploy again`;
      case undefined:
        return `check the network and the sink's ${this.service} URL, then deploy again`;
      default:
        return `see what ${this.service} said, then deploy again`;
    }
  }
}

/** Reads the sink's credential from its variable; a missing one is a DeliveryFailure naming the variable. */
export function readSinkCredential(env: NodeJS.ProcessEnv, name: string, service: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new DeliveryFailure(
      `the environment variable ${name} is empty or not set`,
      `put a ${service} token in ${name} where Terraform runs (the sink reads it at delivery; it is never stored)`,
      { prop: name },
    );
  }
  if (/[\s\0]/.test(value)) {
    throw new DeliveryFailure(`the environment variable ${name} holds spaces or line breaks (the value is not shown)`, `fix ${name}`, {
      prop: name,
    });
  }
  return value;
}

/** A non-2xx answer the caller asked for, carried through the transport's error path. */
class AcceptedAnswer extends ApiError {
  constructor(readonly answer: HttpAnswer) {
    super('accepted answer', { method: '', path: '', status: answer.status });
  }
}

/** The human part of a GitHub (`message`) or Vault (`errors: [...]`) error body, or the plain text. */
function vendorWords(answer: HttpAnswer): string | undefined {
  const j = answer.json as { message?: unknown; errors?: unknown } | undefined;
  if (j && typeof j === 'object') {
    if (typeof j.message === 'string') return j.message;
    if (Array.isArray(j.errors)) return j.errors.filter((x) => typeof x === 'string').join('; ');
    return undefined;
  }
  return answer.isJson ? undefined : answer.bodyText;
}
