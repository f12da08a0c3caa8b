/** What the adapters use of an AWS SDK v3 client. */
interface SdkClient {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's own `send` is generic over every command
  send(command: any, options?: any): Promise<any>;
  destroy(): void;
}

/**
 * An SDK client whose package is imported and whose client is built at its first `send`. A function's
 * module init then evaluates no SDK package it may never call (a quiet tick publishes nothing to SNS;
 * a tenant without `cloudwatch:` criteria reads no CloudWatch): each client package with its @smithy
 * dependencies is 10–40 ms of a cold start. The adapters import their commands the same way, at use.
 * `destroy` before any `send` has nothing to close.
 */
export function lazyClient<C extends SdkClient>(build: () => Promise<C>): C {
  let client: Promise<C> | undefined;
  let built: C | undefined;
  const get = () => {
    client ??= build().then((c) => {
      built = c;
      return c;
    });
    return client;
  };
  const lazy: SdkClient = {
    send: async (command, options) => (await get()).send(command, options),
    destroy: () => built?.destroy(),
  };
  // The adapters are typed with the SDK's client; they call only `send` (and the runtime `destroy`).
  return lazy as unknown as C;
}
