import { spawn } from 'node:child_process';

/**
 * How `auth login` opens the sign-in URL (docs/oauth.md): the command in `$BROWSER` when set (split on spaces, no
 * shell; the URL is added as its one last argument), else `open` on macOS, else `xdg-open` when a display is
 * available (`DISPLAY` or `WAYLAND_DISPLAY`); undefined when there is no way, and the user follows the printed URL.
 */
export function browserCommand(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] | undefined {
  const fromEnv = env.BROWSER?.trim();
  if (fromEnv) return fromEnv.split(/\s+/);
  if (platform === 'darwin') return ['open'];
  if (platform !== 'win32' && (env.DISPLAY || env.WAYLAND_DISPLAY)) return ['xdg-open'];
  return undefined;
}

/**
 * Starts `command` with `url` as its last argument, without waiting for it (the sign-in is noticed by polling) and
 * without holding the process open. `onFailure` hears when it cannot start or exits with another status than 0.
 */
export function openBrowser(command: readonly string[], url: string, env: NodeJS.ProcessEnv, onFailure: (why: string) => void): void {
  const [program, ...args] = command;
  const child = spawn(program, [...args, url], { stdio: 'ignore', env });
  child.on('error', (e) => onFailure((e as NodeJS.ErrnoException).code ?? e.message));
  child.on('exit', (code, signal) => {
    if (code !== 0) onFailure(signal ? `ended by ${signal}` : `exit status ${code}`);
  });
  child.unref();
}
