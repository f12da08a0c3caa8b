/**
 * Base of every soakwatch error. Subclasses set `name`, so the class is the code,
 * and pass `ErrorOptions` through so the infrastructure failure stays reachable as `cause`.
 */
export class SoakwatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SoakwatchError';
  }
}

/**
 * What of an infrastructure error may be stored (audit, state, API answers): its code, never its text.
 * AWS SDK errors carry the service's error code as `name` (`AccessDeniedException`, `ThrottlingException`)
 * while their message can hold an account id or a role ARN; Node's system errors carry `code`
 * (`ECONNREFUSED`); soakwatch's own errors are looked through to their cause. Anything else is `Error`.
 */
export function errorCode(error: unknown): string {
  // Our own wrappers name what failed; the infrastructure's code is in their cause.
  if (error instanceof SoakwatchError) return error.cause !== undefined ? errorCode(error.cause) : error.name;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(name) && name !== 'Error') return name;
  return 'Error';
}
