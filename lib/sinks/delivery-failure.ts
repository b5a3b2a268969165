/**
 * Why one sink could not take the secret, before `deliverSecret` wraps it into a `SinkError` that names the
 * token and the sink. Internal to `lib/sinks`: the texts quote paths and program names, never a value.
 */
export class DeliveryFailure extends Error {
  /** What went wrong, e.g. `/srv/app/.env is a symbolic link, …`. */
  readonly why: string;
  /** What the user can do about it. */
  readonly fix: string;
  /** Structured facts for `SinkError.details` (an fs error `code`, an exit code…); never a secret. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(why: string, fix: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(why, options);
    this.name = 'DeliveryFailure';
    this.why = why;
    this.fix = fix;
    this.details = details;
  }
}

/** What to suggest for the fs error codes a sink meets in practice. */
const FS_FIXES: Readonly<Record<string, string>> = {
  EACCES: 'give the user running the hook write access to that directory, or point the sink elsewhere',
  EPERM: 'give the user running the hook write access to that directory, or point the sink elsewhere',
  EROFS: 'the file system is read-only: point the sink at a writable location',
  ENOSPC: 'free some disk space, then deploy again',
  EDQUOT: 'the disk quota is exhausted: free some space, then deploy again',
  EISDIR: 'the path names a directory: give the sink a file path',
  ENOTDIR: 'a part of the path is a file, not a directory: fix the sink path',
  ENAMETOOLONG: 'shorten the sink path',
  EXDEV: 'the temporary file and the target ended up on different file systems: report this as a bug',
};

/**
 * Wraps an fs error. Node's fs messages name the syscall and the path (e.g. `EACCES: permission denied, open
 * '/srv/x'`), never file contents, so they are safe to quote; the `code` is kept in the details.
 */
export function fsFailure(error: unknown, action: string, path: string): DeliveryFailure {
  const e = error as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const reason = e instanceof Error ? e.message : String(error);
  const fix = (code && FS_FIXES[code]) ?? `check that ${path} can be written by the user running the hook`;
  return new DeliveryFailure(`could not ${action} ${path} (${reason})`, fix, code ? { code, path } : { path }, { cause: error });
}
