/**
 * A value built on first use and kept for the life of the process (a warm container's runtime). A
 * failed build is not kept: a failed cold start must not poison the container, the next call tries again.
 */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
