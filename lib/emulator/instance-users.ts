import { createHash } from 'node:crypto';
import { isJsonMediaType, parseJson } from './http-body';
import { json, problem, type Reply } from './problem';
import type { ApiRequest, Route } from './routes';
import { SAMPLE_INSTANCE_GUID, type Caller, type EmulatorState } from './state';

/**
 * The instance user routes (`/api/v1/instance/{guid}/user/...`), kept for the rule Agility states about them:
 * "Personal Access Tokens cannot be used to create or update users", so a PAT gets 403 on each of them (their access
 * is `oauth`). To an OAuth caller they give the minimal answers the API document describes, without keeping
 * anything: the list holds the caller, a save answers the saved user with the roles sent, a delete answers a message.
 * Only the sample instance exists; another guid is a 404.
 */
export const INSTANCE_USER_ROUTES: Route[] = [
  { method: 'GET', template: '/api/v1/instance/{guid}/user/list', access: 'oauth', handler: listUsers },
  { method: 'POST', template: '/api/v1/instance/{guid}/user/save', access: 'oauth', handler: saveUser },
  { method: 'DELETE', template: '/api/v1/instance/{guid}/user/delete/{userID}', access: 'oauth', handler: deleteUser },
];

function unknownInstance(guid: string): Reply | undefined {
  return guid.toLowerCase() === SAMPLE_INSTANCE_GUID ? undefined : problem(404, `No instance ${guid}.`);
}

/** `GET …/user/list`: `WebsiteUser[]`, the caller alone. */
function listUsers(state: EmulatorState, _req: ApiRequest, params: Record<string, string>, caller: Caller | undefined): Reply {
  const missing = unknownInstance(params.guid!);
  if (missing) return missing;
  const me = state.serverUser(caller!.user);
  return json([
    {
      userID: me.userID,
      serverUserId: me.userID,
      userName: me.userName,
      emailAddress: me.emailAddress,
      firstName: me.firstName,
      lastName: me.lastName,
      fullName: `${String(me.firstName)} ${String(me.lastName)}`,
      isDeleted: false,
      isSuspended: false,
      isTeamUser: false,
      isOrgAdmin: true,
      fullTimeSSL: true,
      userRoles: [],
      userPermissions: [],
    },
  ]);
}

/** `POST …/user/save?emailAddress=…[&firstName=…&lastName=…]` with an `InstanceRole[]` body: the `InstanceUser`. */
function saveUser(state: EmulatorState, req: ApiRequest, params: Record<string, string>, caller: Caller | undefined): Reply {
  const missing = unknownInstance(params.guid!);
  if (missing) return missing;
  const emailAddress = req.query.get('emailAddress') ?? '';
  if (!emailAddress.includes('@')) {
    return problem(400, 'The emailAddress query parameter is required.', {
      errors: { emailAddress: ['The emailAddress field is required.'] },
    });
  }
  if (!isJsonMediaType(req.mediaType)) return problem(415, 'The body must be JSON: an array of instance roles.');
  const roles = parseJson(req.body)?.value;
  if (!Array.isArray(roles) || !roles.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    return problem(400, 'The body must be an array of instance roles.');
  }
  const me = state.serverUser(caller!.user);
  const userID =
    emailAddress.toLowerCase() === String(me.emailAddress).toLowerCase()
      ? me.userID
      : createHash('sha256').update(emailAddress.toLowerCase()).digest().readUInt32BE(0) % 2_000_000_000;
  return json({
    userID,
    userName: emailAddress,
    emailAddress,
    firstName: req.query.get('firstName'),
    lastName: req.query.get('lastName'),
    isDeleted: false,
    isTeamUser: false,
    instanceRoles: roles,
    instancePermissions: [],
  });
}

/** `DELETE …/user/delete/{userID}`: a message, as a JSON string. */
function deleteUser(_state: EmulatorState, _req: ApiRequest, params: Record<string, string>): Reply {
  const missing = unknownInstance(params.guid!);
  if (missing) return missing;
  if (!/^\d+$/.test(params.userID!)) return problem(400, 'The userID must be a whole number.');
  return json(`User ${params.userID} removed from instance ${params.guid}.`);
}
