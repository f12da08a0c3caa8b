/**
 * A named export of a dynamically imported package (`await import('@aws-sdk/client-sns')`). Bundled
 * into chunks (dist/: the CLI and the demo), esbuild gives a CommonJS package's chunk only a default
 * export, the module's `exports`; unbundled (tests, tsx) and in the Lambdas' single-file bundles the names
 * are on the namespace itself. Every lazy import of an SDK package goes through here.
 */
export function importNamed<M, K extends keyof M>(mod: M, name: K): NonNullable<M[K]> {
  const value = mod[name] ?? (mod as { default?: M }).default?.[name];
  if (value === undefined || value === null)
    throw new TypeError(`the imported module has no export named ${String(name)}`);
  return value as NonNullable<M[K]>;
}
