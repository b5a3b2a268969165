/**
 * Request and response models of the Agility Management API routes we use, with the field names of its
 * OpenAPI document (`tokenID` with a capital ID, camelCase token fields, snake_case OAuth fields).
 * Dates are ISO-8601 strings in UTC, as on the wire.
 */

/** `PersonalAccessTokenRequest`: body of `POST /api/v1/tokens/create`. */
export interface PersonalAccessTokenRequest {
  /** 1–100 characters. */
  name: string;
  /** Omitted: two years from creation, the maximum. */
  expiryDate?: string | null;
}

/** `PersonalAccessTokenUpdateRequest`: body of `PUT /api/v1/tokens/{tokenId}/update`. */
export interface PersonalAccessTokenUpdateRequest {
  name?: string | null;
  enabled?: boolean | null;
}

/** `PersonalAccessTokenResponse`: a token without its secret. */
export interface PersonalAccessTokenResponse {
  tokenID: string;
  name: string | null;
  createdDate: string | null;
  expiryDate: string;
  lastUsedDate: string | null;
  enabled: boolean;
  isExpired: boolean;
  daysUntilExpiration: number | null;
}

/** `PersonalAccessTokenCreationResponse`: the only response that carries the secret (`token`, a JWT). */
export interface PersonalAccessTokenCreationResponse extends PersonalAccessTokenResponse {
  token: string | null;
  notice: string | null;
}

/** `PersonalAccessTokenListResponse`: `GET /api/v1/tokens/list` (no paging). */
export interface PersonalAccessTokenListResponse {
  tokens: PersonalAccessTokenResponse[] | null;
  /** Number of active tokens for the user. */
  totalCount: number;
}

/** `TokenResponseData`: `POST /oauth/token` and `POST /oauth/refresh`. */
export interface TokenResponseData {
  access_token: string | null;
  /** Seconds. */
  expires_in: number | null;
  refresh_token: string | null;
  token_type: string | null;
}

/** `WebsiteListing`: one entry of `ServerUser.websiteAccess`. */
export interface WebsiteListing {
  guid: string | null;
  websiteName?: string | null;
  displayName: string | null;
  orgCode: string | null;
  orgName: string | null;
  managerUrl: string | null;
  isOwner: boolean;
  isCurrent: boolean;
  isDormant: boolean;
  isRestoring: boolean;
  teamID: number | null;
  version?: string | null;
  websiteID?: number;
  websiteNameStripped?: string | null;
}

/** `ServerUser`: `GET /api/v1/users/me`. */
export interface ServerUser {
  userID: number;
  userName: string | null;
  emailAddress: string | null;
  firstName: string | null;
  lastName: string | null;
  isSuspended: boolean;
  isProfileComplete: boolean;
  userTypeID: number;
  timeZoneRegion: string | null;
  jobRole: string | null;
  createdDate: string | null;
  currentWebsite: string | null;
  websiteAccess: WebsiteListing[] | null;
}
