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
