import type { Config } from '../config/schema.js';
import { FileIssueRepository, type FileIssueRepositoryOptions } from './file-issue-repository.js';
import { IssueRegistry } from './issue-registry.js';

/**
 * The issue registry over the backend the config asks for. Only the embedded file backend exists
 * here; a PostgreSQL `IssueRepository` slots in behind the same registry.
 *
 * @example const issues = await openIssueRegistry(config, { log: logger.child({ module: 'issues' }) });
 */
export async function openIssueRegistry(config: Config, extras: { log?: FileIssueRepositoryOptions['log'] } = {}): Promise<{ registry: IssueRegistry; repository: FileIssueRepository }> {
  const repository = await FileIssueRepository.open({ storagePath: config.storage_path, ...(extras.log ? { log: extras.log } : {}) });
  const registry = new IssueRegistry(repository, extras.log ? { log: extras.log } : {});
  return { registry, repository };
}
