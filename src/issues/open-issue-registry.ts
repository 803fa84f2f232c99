import type { Config } from '../config/schema.js';
import type { PostgresDatabase } from '../storage/postgres/postgres-database.js';
import { FileIssueRepository, type FileIssueRepositoryOptions } from './file-issue-repository.js';
import { IssueRegistry } from './issue-registry.js';
import type { IssueRepository } from './issue-repository.js';
import { PostgresIssueRepository } from './postgres-issue-repository.js';

/**
 * The issue registry over the backend the config asks for: issues live where results live
 * (spec §10: "with PostgreSQL: results with their history, issues"), so `results.backend:
 * "postgres"` puts them in the same database, on the connection the caller opened and closes.
 *
 * @example const { registry } = await openIssueRegistry(config, { log: logger.child({ module: 'issues' }), postgres: db });
 */
export async function openIssueRegistry(
  config: Config,
  extras: { log?: FileIssueRepositoryOptions['log']; postgres?: PostgresDatabase } = {},
): Promise<{ registry: IssueRegistry; repository: IssueRepository; openReport: Record<string, unknown> }> {
  let repository: IssueRepository;
  let openReport: Record<string, unknown>;
  if (config.results.backend === 'postgres') {
    if (!extras.postgres) throw new Error("results.backend is 'postgres' but no PostgreSQL connection was opened");
    repository = new PostgresIssueRepository({ db: extras.postgres, ...(extras.log ? { log: extras.log } : {}) });
    openReport = { backend: 'postgres', postgres: extras.postgres.description };
  } else {
    const files = await FileIssueRepository.open({ storagePath: config.storage_path, ...(extras.log ? { log: extras.log } : {}) });
    repository = files;
    openReport = { backend: 'files', ...files.openReport };
  }
  const registry = new IssueRegistry(repository, extras.log ? { log: extras.log } : {});
  return { registry, repository, openReport };
}
