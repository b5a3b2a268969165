/**
 * The first line `agility-pat emulator` prints on stdout (docs/design.md, "Contracts"); scripts wait for it and
 * read the URL from it.
 */
export function emulatorBanner(url: string): string {
  return `Agility Management API emulator listening on ${url}`;
}

/**
 * The lines `agility-pat emulator` prints after {@link emulatorBanner}, each on its own line: what a user runs next
 * to point the other commands at this emulator and sign in (docs/oauth.md).
 */
export function emulatorNextSteps(url: string): readonly string[] {
  return [`export AGILITY_API_URL=${url}`, 'npx agility-pat auth login'];
}
