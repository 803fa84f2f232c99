import { FileResultRepository } from '../../src/results/file-result-repository.js';
import type { ResultRepository } from '../../src/results/result-repository.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { resultRepositoryContract } from '../contract/result-repository.contract.js';

const dirs: string[] = [];
const dirOf = new Map<ResultRepository, string>();

async function openAt(dir: string): Promise<ResultRepository> {
  const repo = await FileResultRepository.open({ storagePath: dir });
  dirOf.set(repo, dir);
  return repo;
}

resultRepositoryContract('file tree + index', {
  async open() {
    const dir = await makeTempDir('cco-result-repo-');
    dirs.push(dir);
    return openAt(dir);
  },
  reopen: (repo) => openAt(dirOf.get(repo)!),
  async cleanup() {
    for (const dir of dirs.splice(0)) await removeDir(dir);
  },
});
