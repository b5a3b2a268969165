/**
 * What a delivery knows about the token whose secret it delivers. Command sinks receive it as
 * `AGILITY_PAT_*` environment variables; messages quote `managedName`. None of it is secret.
 */
export interface DeliveryContext {
  /** The token's name as declared in code, e.g. `ci-deploy` (`AGILITY_PAT_NAME`). */
  readonly declaredName: string;
  /** The name the token has in Agility, with the stack marker, e.g. `ci-deploy [cdktf:prod~3fa9c1/g2931]` (`AGILITY_PAT_MANAGED_NAME`). */
  readonly managedName: string;
  /** The token's expiry as ISO-8601, e.g. `2027-01-31T00:00:00.000Z` (`AGILITY_PAT_EXPIRY`). */
  readonly expiryDate: string;
  /** The rotation generation the token belongs to (`AGILITY_PAT_GENERATION`). */
  readonly generation: number;
  /** Agility's id of the token (`AGILITY_PAT_TOKEN_ID`). */
  readonly tokenId: string;
}

/** Where relative sink paths and command sinks run. */
export interface DeliverOptions {
  /**
   * Base for relative `file` / `env-file` paths and the working directory of `command` sinks.
   * @default process.cwd()
   */
  readonly cwd?: string;
  /**
   * The environment `command` sinks start from; the `AGILITY_PAT_*` variables are added to it.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * A namespace for the sink files' locks, so that one process can act as several machines with their own lock folders
   * (the convergence property's machines). The program never sets it.
   * @default - none: the lock folder of this machine alone
   */
  readonly lockScope?: string;
}
