/**
 * The first line `agility-pat emulator` prints on stdout (docs/design.md, "Contracts"); scripts wait for it and
 * read the URL from it.
 */
export function emulatorBanner(url: string): string {
  return `Agility Management API emulator listening on ${url}`;
}
