import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';
import { type Config, configSchema } from './schema.js';

/** `['tenants', 2, 'target', 'url']` → `tenants[2].target.url` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates an already-parsed configuration object. Throws one ConfigError listing every invalid path.
 * Messages name fields and values; a password value is never echoed (zod messages here do not quote input).
 */
export function parseConfig(raw: unknown, source = '(inline)'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, issuesOf(result.error));
  return result.data;
}

/** The largest configuration text soakwatch reads (1 MiB of characters). */
export const MAX_CONFIG_CHARS = 1_048_576;

/** Parses YAML or JSON text (JSON is YAML) into a validated configuration. */
export function parseConfigText(text: string, source = '(inline)'): Config {
  // Hundreds of tenants fit in a few hundred KiB; a bigger file is a mistake, and validating a huge one
  // would hold a cold start for seconds.
  if (text.length > MAX_CONFIG_CHARS)
    throw new ConfigError(source, [
      { path: '', message: `the file is too large (${text.length} characters, at most ${MAX_CONFIG_CHARS})` },
    ]);
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(source, [{ path: '', message: `not valid YAML/JSON: ${message}` }], {
      cause: error,
    });
  }
  return parseConfig(raw, source);
}

/** Reads and validates the configuration file at `path`. */
export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(path, [{ path: '', message: `cannot read the file (${code})` }], { cause: error });
  }
  return parseConfigText(text, path);
}
