import type { MiddlewareObj } from '@middy/core';
import { createError } from '@middy/util';
import {
  ActionRefusedError,
  ConcurrentChangeError,
  InvalidInputError,
  LegacyUnreachableError,
} from '../release/errors.js';
import { UnknownTenantError } from '../tick/errors.js';

/**
 * The one map from the release service's errors to HTTP statuses; their message is shown (it names the
 * field, the tenant or the judge's reason, never a secret). Anything else stays a 500 with the
 * http-error-handler's fallback message.
 */
const STATUS_OF: readonly [new (...args: never[]) => Error, number][] = [
  [InvalidInputError, 400],
  [UnknownTenantError, 404],
  [ActionRefusedError, 409],
  [ConcurrentChangeError, 409],
  // The fence needs the legacy primary: unreachable is the dependency's state, not the request's fault.
  [LegacyUnreachableError, 503],
];

/** The HTTP status of a release-service error; undefined for any other error (a 500). */
export function httpStatusOf(error: unknown): number | undefined {
  return STATUS_OF.find(([type]) => error instanceof type)?.[1];
}

/**
 * Turns the service's errors into middy HTTP errors before @middy/http-error-handler renders them:
 * register it after the error handler (middy runs `onError` last-registered first).
 */
export function releaseErrorsToHttp(): MiddlewareObj {
  return {
    onError: (request) => {
      const status = httpStatusOf(request.error);
      if (status !== undefined && request.error)
        request.error = createError(status, request.error.message, { expose: true, cause: request.error });
    },
  };
}
