import { DEFAULT_BASE_URL, resolveBaseUrl } from '../api/base-url';

/** Which Agility Management API the hooks call. */
export class AgilityApi {
  /** An explicit base URL: `https://...`, or `http://` on a loopback host (the emulator). */
  static url(baseUrl: string): AgilityApi {
    return new AgilityApi(resolveBaseUrl({ baseUrl }));
  }

  /** The regional host for an instance GUID (suffix `-u`, `-us2`, `-c`, `-e`, `-a`, `-d`; none: US). */
  static forInstance(instanceGuid: string): AgilityApi {
    return new AgilityApi(resolveBaseUrl({ instanceGuid }));
  }

  /** `AGILITY_API_URL` from the synth environment when set, else the US host `https://mgmt.aglty.io`. */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): AgilityApi {
    return AgilityApi.url(env.AGILITY_API_URL || DEFAULT_BASE_URL);
  }

  private constructor(readonly baseUrl: string) {}
}
