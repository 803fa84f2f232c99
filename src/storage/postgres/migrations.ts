/**
 * The PostgreSQL schema, as versioned migrations. Append only: a released migration never changes
 * (nodes already ran it); a change is a new version. `migrate` applies what a database lacks, in
 * order, in one transaction under an advisory lock.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'results with history',
    // Ids are ULIDs compared byte-wise (COLLATE "C"), so ORDER BY id is the order they were minted.
    // Every result is a row (history is simply the older rows of a pair); the newest of each
    // (project, issue, agent type) is tracked in cco_results_latest, updated in the same statement.
    sql: `
      CREATE TABLE cco_results (
        id           text COLLATE "C" PRIMARY KEY,
        project_id   text COLLATE "C" NOT NULL,
        issue_id     text COLLATE "C" NOT NULL,
        agent_type   text COLLATE "C" NOT NULL,
        agent_id     text NOT NULL,
        status       text NOT NULL,
        timestamp_ms bigint NOT NULL,
        size_bytes   integer NOT NULL,
        envelope     json NOT NULL
      );
      -- One index per GET /api/results filter, each ending in id so a page is an index range scan.
      CREATE INDEX cco_results_project ON cco_results (project_id, id);
      CREATE INDEX cco_results_issue ON cco_results (project_id, issue_id, id);
      CREATE INDEX cco_results_pair ON cco_results (project_id, issue_id, agent_type, id);
      CREATE INDEX cco_results_agent_type ON cco_results (project_id, agent_type, id);
      CREATE INDEX cco_results_status ON cco_results (project_id, status, id);
      CREATE INDEX cco_results_time ON cco_results (project_id, timestamp_ms);
      CREATE TABLE cco_results_latest (
        project_id text COLLATE "C" NOT NULL,
        issue_id   text COLLATE "C" NOT NULL,
        agent_type text COLLATE "C" NOT NULL,
        id         text COLLATE "C" NOT NULL,
        PRIMARY KEY (project_id, issue_id, agent_type)
      );
      CREATE UNIQUE INDEX cco_results_latest_id ON cco_results_latest (id);
    `,
  },
  {
    version: 2,
    name: 'issues with revisions',
    // Every revision is a row (a deletion is a revision with deleted_at); cco_issues holds the head
    // of each issue, and a write is a compare-and-set on its revision (see PostgresIssueRepository).
    sql: `
      CREATE TABLE cco_issue_revisions (
        project_id text COLLATE "C" NOT NULL,
        issue_id   text COLLATE "C" NOT NULL,
        revision   integer NOT NULL,
        record     json NOT NULL,
        deleted_at text,
        PRIMARY KEY (project_id, issue_id, revision)
      );
      CREATE TABLE cco_issues (
        project_id text COLLATE "C" NOT NULL,
        issue_id   text COLLATE "C" NOT NULL,
        revision   integer NOT NULL,
        record     json NOT NULL,
        deleted_at text,
        labels     text[] NOT NULL,
        PRIMARY KEY (project_id, issue_id)
      );
      -- Listing by label: GET /api/issues?label=
      CREATE INDEX cco_issues_labels ON cco_issues USING gin (labels);
    `,
  },
];
