import { SoakwatchError } from '../util/errors.js';

/** One invalid place in a configuration file. */
export interface ConfigIssue {
  /** `tenants[2].target.url` */
  path: string;
  message: string;
}

/** A configuration that cannot be used; `issues` lists every invalid path, not just the first. */
export class ConfigError extends SoakwatchError {
  readonly issues: ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: ConfigIssue[], options?: ErrorOptions) {
    super(
      `invalid configuration ${source}:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = source;
  }
}
